//! The June group formation commands: import the enrolled children, edit next year's groups,
//! compose, judge a move, pin, export the lists, declare the places left. Each reads the plan
//! from the cache and hands the work to `crates/desk` and the domain.

use std::path::PathBuf;

use chrono::{NaiveDate, Utc};
use placeforte_desk::import::{preview, preview_reader, ImportError, ImportPreview};
use placeforte_desk::planning::{
    acceptance_preview as preview_acceptance, AcceptancePreview, BreachView, GroupListFormat,
    GroupSetup, Language, Plan, PlanChildKey, PlanInputs, PlanView,
};
use placeforte_desk::{sync, Cache, DeskError};
use placeforte_domain::quebec_rules_on;
use placeforte_protocol::ReferralId;
use tauri::State;

use crate::desk::Desk;
use crate::error::{AppError, ErrorCode};
use crate::planning_view::{
    ExportView, ImportFile, ImportPreviewView, PlanDeclaredView, ReviewedPlanVacancy, SetupSaved,
    SiblingChoice,
};

fn day(text: &str) -> Result<NaiveDate, AppError> {
    text.parse()
        .map_err(|_| AppError::new(ErrorCode::InvalidInput, "the start date is not a date"))
}

fn read_preview(file: ImportFile) -> Result<ImportPreview, DeskError> {
    let today = Utc::now().date_naive();
    let previewed = match file {
        ImportFile::Bytes { bytes } => preview(&bytes, today),
        ImportFile::Path { path } => {
            let reader = std::fs::File::open(path.trim())
                .map_err(|err| ImportError::Io(err.kind().to_string()))?;
            preview_reader(reader, today)
        }
    };
    Ok(previewed?)
}

/// A child's key as the screen sends it; text that is none is a child the plan does not have.
fn child_key(text: &str) -> Result<PlanChildKey, AppError> {
    text.parse().map_err(|_| DeskError::UnknownPlanChild.into())
}

async fn plan(cache: &Cache, start: &str) -> Result<Plan, AppError> {
    Ok(PlanInputs::load(cache, day(start)?).await?.compose()?)
}

/// Reads the file and shows what it would import, every rejected line included; saves nothing.
#[tauri::command]
#[specta::specta]
pub async fn import_preview(file: ImportFile) -> Result<ImportPreviewView, AppError> {
    Ok(read_preview(file)?.into())
}

/// Reads the file again and replaces the enrolled children with it, only if no line is
/// rejected (all or nothing). Returns how many children are stored.
#[tauri::command]
#[specta::specta]
pub async fn import_save(desk: State<'_, Desk>, file: ImportFile) -> Result<u32, AppError> {
    let accepted = read_preview(file)?.accept().map_err(DeskError::from)?;
    let stored = desk
        .cache()
        .await?
        .replace_enrolled_children(&accepted)
        .await?;
    Ok(u32::try_from(stored).unwrap_or(u32::MAX))
}

/// The saved permit and groups.
#[tauri::command]
#[specta::specta]
pub async fn group_setup(desk: State<'_, Desk>) -> Result<GroupSetup, AppError> {
    Ok(desk.cache().await?.group_setup().await?)
}

/// Saves the permit and groups if the domain accepts them; otherwise every problem, and
/// nothing saved.
#[tauri::command]
#[specta::specta]
pub async fn save_group_setup(
    desk: State<'_, Desk>,
    setup: GroupSetup,
) -> Result<SetupSaved, AppError> {
    let rules = quebec_rules_on(Utc::now().date_naive());
    if let Err(problems) = setup.check(rules) {
        return Ok(SetupSaved {
            saved: false,
            problems,
        });
    }
    desk.cache().await?.save_group_setup(&setup).await?;
    Ok(SetupSaved {
        saved: true,
        problems: Vec::new(),
    })
}

/// Composes the school year starting `start` (`YYYY-MM-DD`).
#[tauri::command]
#[specta::specta]
pub async fn compose_groups(desk: State<'_, Desk>, start: String) -> Result<PlanView, AppError> {
    Ok(plan(&desk.cache().await?, &start).await?.view())
}

/// The rules the year would break if `child` were in `group`, judged by the simulator before
/// the director drops it there (empty: the group can take it).
#[tauri::command]
#[specta::specta]
pub async fn check_move(
    desk: State<'_, Desk>,
    start: String,
    child: String,
    group: String,
) -> Result<Vec<BreachView>, AppError> {
    let child = child_key(&child)?;
    let plan = plan(&desk.cache().await?, &start).await?;
    let target = plan.inputs.group(&group)?;
    Ok(plan.check_move_view(&child, target)?)
}

/// Pins `child` to `group` (or unpins it with `null`) and composes again around it.
#[tauri::command]
#[specta::specta]
pub async fn pin_child(
    desk: State<'_, Desk>,
    start: String,
    child: String,
    group: Option<String>,
) -> Result<PlanView, AppError> {
    let child = child_key(&child)?;
    let cache = desk.cache().await?;
    let inputs = PlanInputs::load(&cache, day(&start)?).await?;
    if !inputs.has_child(&child) {
        return Err(DeskError::UnknownPlanChild.into());
    }
    // The pin names the group as the plan spells it.
    let group = match &group {
        Some(name) => {
            let at = inputs.group(name)?;
            inputs
                .installation
                .groups()
                .get(at)
                .map(|g| g.name().to_owned())
        }
        None => None,
    };
    cache.set_pin(&child, group.as_deref()).await?;
    Ok(plan(&cache, &start).await?.view())
}

/// The director's wish for two children of the plan (together, apart, or none with `null`),
/// kept in the cache; the plan composed again with it.
#[tauri::command]
#[specta::specta]
pub async fn set_sibling_wish(
    desk: State<'_, Desk>,
    start: String,
    a: String,
    b: String,
    wish: Option<SiblingChoice>,
) -> Result<PlanView, AppError> {
    let (a, b) = (child_key(&a)?, child_key(&b)?);
    if a == b {
        return Err(AppError::new(
            ErrorCode::InvalidInput,
            "a sibling wish names two different children",
        ));
    }
    let cache = desk.cache().await?;
    let inputs = PlanInputs::load(&cache, day(&start)?).await?;
    if !inputs.has_child(&a) || !inputs.has_child(&b) {
        return Err(DeskError::UnknownPlanChild.into());
    }
    cache
        .set_sibling_wish(&a, &b, wish.map(SiblingChoice::together))
        .await?;
    Ok(plan(&cache, &start).await?.view())
}

/// "If I accept this child": the saved groups over the next 3, 6 and 12 months with and
/// without the referred child, where the composer would put it or the rule each group would
/// break; nothing is recorded.
#[tauri::command]
#[specta::specta]
pub async fn acceptance_preview(
    desk: State<'_, Desk>,
    start: String,
    referral_id: String,
) -> Result<AcceptancePreview, AppError> {
    let unknown = |why: &str| AppError::new(ErrorCode::UnknownReferral, why);
    let referral: ReferralId = referral_id
        .parse()
        .map_err(|_| unknown("not a referral id"))?;
    let start = day(&start)?;
    match preview_acceptance(&desk.cache().await?, referral, start).await {
        Err(DeskError::UnknownPlanChild) => Err(unknown("no such referral in the cache")),
        answer => Ok(answer?),
    }
}

/// Writes the group lists as CSV to `path`, or to the user's documents folder, and says
/// where.
#[tauri::command]
#[specta::specta]
pub async fn export_groups(
    desk: State<'_, Desk>,
    start: String,
    format: GroupListFormat,
    language: Language,
    path: Option<String>,
) -> Result<ExportView, AppError> {
    let plan = plan(&desk.cache().await?, &start).await?;
    let bytes = plan.export(format, language)?;
    let path = match path.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        Some(chosen) => PathBuf::from(chosen),
        None => desk
            .exports_dir()
            .ok_or_else(|| {
                AppError::new(
                    ErrorCode::InvalidInput,
                    "no documents folder on this computer: choose where to save",
                )
            })?
            .join(format!("PlaceForte-groupes-{}.csv", plan.inputs.start)),
    };
    if !path.is_absolute() {
        return Err(AppError::new(
            ErrorCode::InvalidInput,
            "the path is not absolute",
        ));
    }
    let written = path
        .parent()
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|()| std::fs::write(&path, bytes));
    if let Err(err) = written {
        tracing::warn!("export failed: {}", err.kind());
        return Err(AppError::new(
            ErrorCode::ExportFailed,
            "the file could not be written",
        ));
    }
    Ok(ExportView {
        path: path.display().to_string(),
        children: u32::try_from(plan.composition.placed.len()).unwrap_or(u32::MAX),
    })
}

/// Queues the reviewed places as vacancy declarations, checked against what the plan leaves,
/// and sends them if the service answers (offline they stay in the outbox).
#[tauri::command]
#[specta::specta]
pub async fn declare_plan_vacancies(
    desk: State<'_, Desk>,
    start: String,
    reviewed: Vec<ReviewedPlanVacancy>,
) -> Result<Vec<PlanDeclaredView>, AppError> {
    let cache = desk.cache().await?;
    let plan = plan(&cache, &start).await?;
    let reviewed = reviewed
        .into_iter()
        .map(ReviewedPlanVacancy::into_reviewed)
        .collect::<Result<Vec<_>, _>>()?;
    let queued = plan.declare(&cache, &reviewed, Utc::now()).await?;
    if let Ok(device) = desk.device() {
        match sync::flush(&device, &cache).await {
            Ok(_) | Err(DeskError::ServerUnreachable(_)) => {}
            Err(err) => return Err(err.into()),
        }
    }
    let now = cache.vacancies().await?;
    Ok(now
        .into_iter()
        .filter(|v| queued.iter().any(|q| q.local_id == v.local_id))
        .map(Into::into)
        .collect())
}
