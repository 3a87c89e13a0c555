//! What the June group formation screen receives and sends: the import preview, the groups as
//! typed, the composer's answer as group columns with every child's reason, the occupancy
//! series and the places left. Codes the UI translates; ISO dates; children by their plan key.

use placeforte_desk::cache::{LocalVacancy, OutboxState};
use placeforte_desk::import::text::TextEncoding;
use placeforte_desk::import::{ImportPreview, ImportedChild, RejectReason};
use placeforte_desk::planning::{
    GroupListFormat, GroupSetup, GroupSpec, Language, Plan, ReviewedVacancy, SetupProblem,
};
use placeforte_domain::{
    age_class, AgeClass, Blocked, BlockingRule, Breach, BreachKind, Installation, LeftOutReason,
    Optimality, PlacedReason, PlannedChild, SeriesSubject,
};
use serde::{Deserialize, Serialize};

use crate::error::{AppError, ErrorCode};
use crate::view::{AgeClassCode, OutboxStateView};

fn codes(classes: impl IntoIterator<Item = AgeClass>) -> Vec<AgeClassCode> {
    classes.into_iter().map(AgeClassCode::from).collect()
}

fn count(n: impl TryInto<u32>) -> u32 {
    n.try_into().unwrap_or(u32::MAX)
}

/// A file to import: its bytes (read by the window from a file input) or a path on this
/// computer. Either way the desktop core reads and judges it.
#[derive(Debug, Clone, Deserialize, specta::Type)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ImportFile {
    /// The file's content.
    Bytes {
        /// Every byte, undecoded.
        bytes: Vec<u8>,
    },
    /// A file on this computer.
    Path {
        /// Its path.
        path: String,
    },
}

/// How the file was read.
#[derive(Debug, Clone, Copy, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum EncodingCode {
    /// UTF-8 with a byte-order mark.
    // Named explicitly: serde and specta split words around digits differently.
    #[serde(rename = "utf8_with_bom")]
    Utf8WithBom,
    /// UTF-8.
    #[serde(rename = "utf8")]
    Utf8,
    /// Windows-1252.
    #[serde(rename = "windows_1252")]
    Windows1252,
}

/// Why a line was rejected.
#[derive(Debug, Clone, Copy, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum RejectCode {
    /// Another number of fields than the header.
    WrongFieldCount,
    /// Unreadable.
    Unreadable,
    /// A quote never closed.
    UnclosedQuote,
    /// No given name.
    MissingName,
    /// Birth date missing or malformed.
    BadBirthDate,
    /// Birth date in the future.
    BirthDateInFuture,
    /// Departure date malformed.
    BadDepartureDate,
    /// Departure before birth.
    DepartureBeforeBirth,
    /// Support factor not from 1 to 5.
    BadSupportFactor,
}

/// A rejected line.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct RejectedLineView {
    /// Its line number in the file (1 is the header).
    pub line: u32,
    /// Why.
    pub code: RejectCode,
    /// Fields expected (header), for a wrong field count.
    pub expected: Option<u32>,
    /// Fields found, for a wrong field count.
    pub found: Option<u32>,
}

/// A child the import would store.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct ImportedChildView {
    /// Given name and family initial.
    pub label: String,
    /// Birth date.
    pub birth_date: String,
    /// Expected departure.
    pub expected_departure: Option<String>,
    /// Current group as the daycare names it.
    pub current_group: Option<String>,
    /// Support-need factor in hundredths.
    pub support_factor: Option<u32>,
}

impl From<ImportedChild> for ImportedChildView {
    fn from(child: ImportedChild) -> Self {
        ImportedChildView {
            label: child.label,
            birth_date: child.birth_date.date().to_string(),
            expected_departure: child.expected_departure.map(|d| d.to_string()),
            current_group: child.current_group,
            support_factor: child.support_factor.map(|f| u32::from(f.hundredths())),
        }
    }
}

/// What the file would import; nothing is saved yet.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct ImportPreviewView {
    /// How it was read.
    pub encoding: EncodingCode,
    /// The separator.
    pub delimiter: String,
    /// Header cells ignored (never stored).
    pub ignored_columns: Vec<String>,
    /// Records in the file.
    pub rows: u32,
    /// The children that would be stored.
    pub children: Vec<ImportedChildView>,
    /// Every rejected line: one is enough to save nothing.
    pub rejected: Vec<RejectedLineView>,
}

impl From<ImportPreview> for ImportPreviewView {
    fn from(preview: ImportPreview) -> Self {
        let rejected = preview
            .rejected
            .into_iter()
            .map(|r| {
                let (code, expected, found) = match r.reason {
                    RejectReason::WrongFieldCount { expected, found } => (
                        RejectCode::WrongFieldCount,
                        Some(count(expected)),
                        Some(count(found)),
                    ),
                    RejectReason::Unreadable => (RejectCode::Unreadable, None, None),
                    RejectReason::UnclosedQuote => (RejectCode::UnclosedQuote, None, None),
                    RejectReason::MissingName => (RejectCode::MissingName, None, None),
                    RejectReason::BadBirthDate => (RejectCode::BadBirthDate, None, None),
                    RejectReason::BirthDateInFuture => (RejectCode::BirthDateInFuture, None, None),
                    RejectReason::BadDepartureDate => (RejectCode::BadDepartureDate, None, None),
                    RejectReason::DepartureBeforeBirth => {
                        (RejectCode::DepartureBeforeBirth, None, None)
                    }
                    RejectReason::BadSupportFactor => (RejectCode::BadSupportFactor, None, None),
                };
                RejectedLineView {
                    line: count(r.line),
                    code,
                    expected,
                    found,
                }
            })
            .collect();
        ImportPreviewView {
            encoding: match preview.encoding {
                TextEncoding::Utf8WithBom => EncodingCode::Utf8WithBom,
                TextEncoding::Utf8 => EncodingCode::Utf8,
                TextEncoding::Windows1252 => EncodingCode::Windows1252,
            },
            delimiter: preview.delimiter.to_string(),
            ignored_columns: preview.ignored_columns,
            rows: count(preview.rows),
            children: preview.children.into_iter().map(Into::into).collect(),
            rejected,
        }
    }
}

/// One group as the editor shows and sends it.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
#[serde(deny_unknown_fields)]
pub struct GroupInput {
    /// Its name.
    pub name: String,
    /// The age classes it may hold.
    pub classes: Vec<AgeClassCode>,
    /// Places.
    pub capacity: u32,
    /// Educators planned.
    pub educators: u32,
}

/// The permit and the groups.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
#[serde(deny_unknown_fields)]
pub struct GroupSetupInput {
    /// The permit's places per class, youngest first.
    pub permit: [u32; 4],
    /// The groups.
    pub groups: Vec<GroupInput>,
}

impl From<GroupSetupInput> for GroupSetup {
    fn from(input: GroupSetupInput) -> Self {
        GroupSetup {
            permit: input.permit,
            groups: input
                .groups
                .into_iter()
                .map(|g| GroupSpec {
                    name: g.name,
                    classes: g.classes.into_iter().map(AgeClass::from).collect(),
                    capacity: g.capacity,
                    educators: g.educators,
                })
                .collect(),
        }
    }
}

impl From<GroupSetup> for GroupSetupInput {
    fn from(setup: GroupSetup) -> Self {
        GroupSetupInput {
            permit: setup.permit,
            groups: setup
                .groups
                .into_iter()
                .map(|g| GroupInput {
                    name: g.name,
                    classes: codes(g.classes),
                    capacity: g.capacity,
                    educators: g.educators,
                })
                .collect(),
        }
    }
}

/// Why the setup was refused.
#[derive(Debug, Clone, Copy, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum SetupProblemCode {
    /// The permit's places add up to more than the installation cap.
    PermitOverInstallationCap,
    /// A group without a name.
    GroupWithoutName,
    /// A group without an age class.
    GroupWithoutAgeClass,
    /// A group without places.
    GroupWithoutPlaces,
    /// A group without an educator.
    GroupWithoutEducator,
    /// Two groups with one name.
    DuplicateGroupName,
    /// A group may hold a class the permit has no place for.
    GroupClassNotInPermit,
    /// A group has more places than the permit gives its classes.
    GroupOverPermit,
    /// The groups have more places than the permit or the installation cap.
    GroupsOverInstallation,
    /// Anything else the domain refused.
    Other,
}

/// A problem of the setup, with its figures.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct SetupProblemView {
    /// What.
    pub code: SetupProblemCode,
    /// The group concerned (position in the editor).
    pub group: Option<u32>,
    /// The age class concerned.
    pub class: Option<AgeClassCode>,
    /// Places asked for.
    pub places: Option<u32>,
    /// Places allowed.
    pub allowed: Option<u32>,
}

impl From<SetupProblem> for SetupProblemView {
    fn from(p: SetupProblem) -> Self {
        let code = match p.code {
            "permit_over_installation_cap" => SetupProblemCode::PermitOverInstallationCap,
            "group_without_name" => SetupProblemCode::GroupWithoutName,
            "group_without_age_class" => SetupProblemCode::GroupWithoutAgeClass,
            "group_without_places" => SetupProblemCode::GroupWithoutPlaces,
            "group_without_educator" => SetupProblemCode::GroupWithoutEducator,
            "duplicate_group_name" => SetupProblemCode::DuplicateGroupName,
            "group_class_not_in_permit" => SetupProblemCode::GroupClassNotInPermit,
            "group_over_permit" => SetupProblemCode::GroupOverPermit,
            "groups_over_installation" => SetupProblemCode::GroupsOverInstallation,
            _ => SetupProblemCode::Other,
        };
        SetupProblemView {
            code,
            group: p.group.map(count),
            class: p.class.map(Into::into),
            places: p.places.map(count),
            allowed: p.allowed.map(count),
        }
    }
}

/// The answer to saving the setup: saved, or every problem and nothing saved.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct SetupSaved {
    /// Whether it was saved.
    pub saved: bool,
    /// Every problem (empty when saved).
    pub problems: Vec<SetupProblemView>,
}

/// Why a child is in its group.
#[derive(Debug, Clone, Copy, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum PlacedCode {
    /// Pinned by the director.
    Pinned,
    /// Stays in its current group.
    CurrentGroup,
    /// With its sibling.
    SiblingTogether,
    /// Apart from its sibling.
    SiblingApart,
    /// The group has room on every day.
    RoomInGroup,
}

/// A child in a group column.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct PlacedView {
    /// The plan key (`e:…` enrolled, `r:…` referral).
    pub key: String,
    /// Given name and family initial.
    pub label: String,
    /// Birth date.
    pub birth_date: String,
    /// Age class on its first day in the group.
    pub age_class: Option<AgeClassCode>,
    /// First day in the group.
    pub arrival: String,
    /// Last day, if it leaves.
    pub departure: Option<String>,
    /// Position in the priority order.
    pub priority: u32,
    /// Why here.
    pub reason: PlacedCode,
    /// Whether it comes from an accepted referral.
    pub referral: bool,
}

/// The rule a group would break.
#[derive(Debug, Clone, Copy, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum BlockingCode {
    /// The group may not hold the child's age class.
    GroupAgeClass,
    /// No place left.
    GroupCapacity,
    /// Not enough educators.
    GroupRatio,
    /// The permit's places for the class are taken.
    Permit,
}

/// Why one group could not take a child.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct BlockedView {
    /// The group's name.
    pub group: String,
    /// The first day it would break the rule.
    pub on: String,
    /// The rule.
    pub rule: BlockingCode,
}

/// Why a child is left out.
#[derive(Debug, Clone, Copy, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum LeftOutCode {
    /// Not present on any day of the year.
    NotPresentThisYear,
    /// No group may hold its age classes.
    NoGroupForAgeClasses,
    /// Its pinned group cannot take it.
    PinnedGroupCannotTakeIt,
    /// Every group that may hold it is full on some day.
    NoRoom,
}

/// A child left out, and why.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct LeftOutView {
    /// The plan key.
    pub key: String,
    /// Label.
    pub label: String,
    /// Birth date.
    pub birth_date: String,
    /// Position in the priority order.
    pub priority: u32,
    /// Why.
    pub reason: LeftOutCode,
    /// Its age classes over the year, for `no_group_for_age_classes`.
    pub classes: Vec<AgeClassCode>,
    /// For each group that could hold it, the first day and the rule.
    pub blocked: Vec<BlockedView>,
}

/// One group column.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct PlanGroupView {
    /// Name.
    pub name: String,
    /// Age classes it may hold.
    pub classes: Vec<AgeClassCode>,
    /// Places.
    pub capacity: u32,
    /// Educators planned.
    pub educators: u32,
    /// Its children, by label.
    pub children: Vec<PlacedView>,
}

/// A rule the year would break.
#[derive(Debug, Clone, Copy, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum BreachCode {
    /// A group needs more educators than planned.
    GroupRatio,
    /// A group has more children than places.
    GroupCapacity,
    /// A group has a child of a class it may not hold.
    GroupAgeClass,
    /// More children of a class than the permit allows.
    Permit,
    /// More children than the installation cap.
    InstallationCap,
    /// The installation needs more educators than planned.
    InstallationRatio,
}

/// A breach and its figures.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct BreachView {
    /// What.
    pub code: BreachCode,
    /// The group's name, for a group rule.
    pub group: Option<String>,
    /// The class, for a class rule.
    pub class: Option<AgeClassCode>,
    /// First day.
    pub from: String,
    /// Last day.
    pub to: String,
    /// Children or educators needed.
    pub found: u32,
    /// Places or educators planned.
    pub allowed: u32,
}

/// What a series charts.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SubjectView {
    /// A group.
    Group {
        /// Its name.
        name: String,
    },
    /// An age class of the installation.
    AgeClass {
        /// The class.
        class: AgeClassCode,
    },
}

/// Days with the same figures.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct StepView {
    /// First day.
    pub from: String,
    /// Last day.
    pub to: String,
    /// Children present.
    pub planned: u32,
    /// Places permitted.
    pub permitted: u32,
    /// Days of the step with a breach.
    pub breach_days: u32,
}

/// One line of the occupancy chart.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct SeriesView {
    /// What it charts.
    pub subject: SubjectView,
    /// Its steps over the year.
    pub steps: Vec<StepView>,
}

/// Places of a class the plan leaves from a day.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
#[serde(deny_unknown_fields)]
pub struct PlanVacancyView {
    /// The class.
    pub age_class: AgeClassCode,
    /// First day (`YYYY-MM-DD`).
    pub start_date: String,
    /// Places.
    pub places: u32,
}

impl PlanVacancyView {
    /// The reviewed line; a malformed date is refused.
    pub fn into_reviewed(self) -> Result<ReviewedVacancy, AppError> {
        Ok(ReviewedVacancy {
            age_class: self.age_class.into(),
            start_date: self.start_date.parse().map_err(|_| {
                AppError::new(ErrorCode::InvalidInput, "the start date is not a date")
            })?,
            places: self.places,
            group_label: None,
        })
    }
}

/// Whether the composition is proven best.
#[derive(Debug, Clone, Copy, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum OptimalityCode {
    /// No composition is better.
    Proven,
    /// The best found within the work budgets.
    BestFound,
}

/// The composer's answer, as the screen draws it.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct PlanView {
    /// First day planned.
    pub start: String,
    /// Last day (end of the school year).
    pub end: String,
    /// The rule set applied.
    pub rule_set: String,
    /// Proven best or best found.
    pub optimality: OptimalityCode,
    /// The group columns, in the installation's order.
    pub groups: Vec<PlanGroupView>,
    /// Children left out, in priority order.
    pub left_out: Vec<LeftOutView>,
    /// The occupancy chart: every group, then every age class.
    pub series: Vec<SeriesView>,
    /// The places left to declare.
    pub vacancies: Vec<PlanVacancyView>,
}

/// A breach in the screen's terms.
pub fn breach_view(breach: &Breach<String>, installation: &Installation) -> BreachView {
    let name = |g: usize| installation.groups().get(g).map(|g| g.name().to_owned());
    let (code, group, class, found, allowed) = match breach.kind {
        BreachKind::GroupRatio {
            group,
            educators_needed,
            educators_planned,
        } => (
            BreachCode::GroupRatio,
            name(group),
            None,
            count(educators_needed),
            educators_planned,
        ),
        BreachKind::GroupCapacity {
            group,
            children,
            capacity,
        } => (
            BreachCode::GroupCapacity,
            name(group),
            None,
            children,
            capacity,
        ),
        BreachKind::GroupAgeClass {
            group,
            class,
            children,
        } => (
            BreachCode::GroupAgeClass,
            name(group),
            Some(class.into()),
            children,
            0,
        ),
        BreachKind::Permit {
            class,
            children,
            places,
        } => (
            BreachCode::Permit,
            None,
            Some(class.into()),
            children,
            places,
        ),
        BreachKind::InstallationCap { children, cap } => (
            BreachCode::InstallationCap,
            None,
            None,
            count(children),
            cap,
        ),
        BreachKind::InstallationRatio {
            educators_needed,
            educators_planned,
        } => (
            BreachCode::InstallationRatio,
            None,
            None,
            count(educators_needed),
            count(educators_planned),
        ),
    };
    BreachView {
        code,
        group,
        class,
        from: breach.from.to_string(),
        to: breach.to.to_string(),
        found,
        allowed,
    }
}

impl PlanView {
    /// The plan as group columns, left-out list, chart series and places left.
    pub fn new(plan: &Plan) -> PlanView {
        let installation = &plan.inputs.installation;
        let label = |child: &PlannedChild<String>| {
            plan.inputs
                .labels
                .get(child.key())
                .cloned()
                .unwrap_or_default()
        };
        let group_name = |g: usize| {
            installation
                .groups()
                .get(g)
                .map(|g| g.name().to_owned())
                .unwrap_or_default()
        };
        let mut groups: Vec<PlanGroupView> = installation
            .groups()
            .iter()
            .map(|g| PlanGroupView {
                name: g.name().to_owned(),
                classes: codes(g.classes().iter()),
                capacity: g.capacity().get(),
                educators: g.educators(),
                children: Vec::new(),
            })
            .collect();
        for placed in &plan.composition.placed {
            let child = &placed.child;
            let first_day = plan.inputs.start.max(child.arrival());
            let view = PlacedView {
                key: child.key().clone(),
                label: label(child),
                birth_date: child.birth().date().to_string(),
                age_class: age_class(child.birth(), first_day, installation.rules())
                    .ok()
                    .map(Into::into),
                arrival: first_day.to_string(),
                departure: child.departure().map(|d| d.to_string()),
                priority: placed.priority,
                reason: match placed.reason {
                    PlacedReason::Pinned => PlacedCode::Pinned,
                    PlacedReason::CurrentGroup => PlacedCode::CurrentGroup,
                    PlacedReason::SiblingTogether => PlacedCode::SiblingTogether,
                    PlacedReason::SiblingApart => PlacedCode::SiblingApart,
                    PlacedReason::RoomInGroup => PlacedCode::RoomInGroup,
                },
                referral: child.key().starts_with("r:"),
            };
            if let Some(column) = groups.get_mut(placed.group) {
                column.children.push(view);
            }
        }
        for column in &mut groups {
            column.children.sort_by(|a, b| a.label.cmp(&b.label));
        }
        let blocked = |b: &Blocked| BlockedView {
            group: group_name(b.group),
            on: b.on.to_string(),
            rule: match b.rule {
                BlockingRule::GroupAgeClass => BlockingCode::GroupAgeClass,
                BlockingRule::GroupCapacity => BlockingCode::GroupCapacity,
                BlockingRule::GroupRatio => BlockingCode::GroupRatio,
                BlockingRule::Permit { .. } => BlockingCode::Permit,
            },
        };
        let left_out = plan
            .composition
            .left_out
            .iter()
            .map(|left| {
                let (reason, classes, blocks) = match &left.reason {
                    LeftOutReason::NotPresentThisYear => {
                        (LeftOutCode::NotPresentThisYear, vec![], vec![])
                    }
                    LeftOutReason::NoGroupForAgeClasses { classes } => (
                        LeftOutCode::NoGroupForAgeClasses,
                        codes(classes.iter()),
                        vec![],
                    ),
                    LeftOutReason::PinnedGroupCannotTakeIt { blocked: b } => (
                        LeftOutCode::PinnedGroupCannotTakeIt,
                        vec![],
                        vec![blocked(b)],
                    ),
                    LeftOutReason::NoRoom { blocked: all } => (
                        LeftOutCode::NoRoom,
                        vec![],
                        all.iter().map(blocked).collect(),
                    ),
                };
                LeftOutView {
                    key: left.child.key().clone(),
                    label: label(&left.child),
                    birth_date: left.child.birth().date().to_string(),
                    priority: left.priority,
                    reason,
                    classes,
                    blocked: blocks,
                }
            })
            .collect();
        let series = placeforte_domain::occupancy_series(&plan.simulation)
            .into_iter()
            .map(|s| SeriesView {
                subject: match s.subject {
                    SeriesSubject::Group { group } => SubjectView::Group {
                        name: group_name(group),
                    },
                    SeriesSubject::AgeClass { class } => SubjectView::AgeClass {
                        class: class.into(),
                    },
                },
                steps: s
                    .steps
                    .iter()
                    .map(|step| StepView {
                        from: step.from.to_string(),
                        to: step.to.to_string(),
                        planned: count(step.planned),
                        permitted: count(step.permitted),
                        breach_days: step.breach_days,
                    })
                    .collect(),
            })
            .collect();
        PlanView {
            start: plan.simulation.start.to_string(),
            end: plan.simulation.end.to_string(),
            rule_set: plan.composition.rule_set.to_owned(),
            optimality: match plan.composition.optimality {
                Optimality::Proven => OptimalityCode::Proven,
                Optimality::BestFound => OptimalityCode::BestFound,
            },
            groups,
            left_out,
            series,
            vacancies: plan
                .vacancies()
                .into_iter()
                .map(|v| PlanVacancyView {
                    age_class: v.class.into(),
                    start_date: v.from.to_string(),
                    places: v.places,
                })
                .collect(),
        }
    }
}

/// Where the group lists were written.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct ExportView {
    /// The file's full path.
    pub path: String,
    /// Children listed.
    pub children: u32,
}

/// The spreadsheet the lists are for.
#[derive(Debug, Clone, Copy, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    /// `;` and a UTF-8 byte-order mark: French Excel.
    FrenchExcel,
    /// `,` without a mark.
    Comma,
}

impl From<ExportFormat> for GroupListFormat {
    fn from(format: ExportFormat) -> Self {
        match format {
            ExportFormat::FrenchExcel => GroupListFormat::FrenchExcel,
            ExportFormat::Comma => GroupListFormat::Comma,
        }
    }
}

/// The language of the lists' headers.
#[derive(Debug, Clone, Copy, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum ExportLanguage {
    /// French.
    French,
    /// English.
    English,
}

impl From<ExportLanguage> for Language {
    fn from(language: ExportLanguage) -> Self {
        match language {
            ExportLanguage::French => Language::French,
            ExportLanguage::English => Language::English,
        }
    }
}

/// A declaration of the plan's places, and where it stands.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct PlanDeclaredView {
    /// The class.
    pub age_class: AgeClassCode,
    /// First day.
    pub start_date: String,
    /// Places.
    pub places: u32,
    /// Pending (in the outbox, offline), sent, or refused.
    pub state: OutboxStateView,
    /// Referrals the service made, once sent.
    pub referrals: Option<u32>,
}

impl From<LocalVacancy> for PlanDeclaredView {
    fn from(v: LocalVacancy) -> Self {
        PlanDeclaredView {
            age_class: v.declaration.age_class.into(),
            start_date: v.declaration.start_date.to_string(),
            places: v.declaration.places,
            state: match v.state {
                OutboxState::Pending => OutboxStateView::Pending,
                OutboxState::Sent => OutboxStateView::Sent,
                OutboxState::Conflict { code } => OutboxStateView::Conflict { code },
            },
            referrals: v.referrals,
        }
    }
}
