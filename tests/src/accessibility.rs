//! Accessibility of a screen in the real window: axe-core (the UI's own dev dependency, from
//! `ui/node_modules`) injected through WebDriver and run on the whole document.

use crate::{workspace, AppWindow};

/// axe-core's rules for WCAG 2.x A and AA (contrast included), as the issue asks.
const RUN_AXE: &str = "const done = arguments[arguments.length - 1];
    axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
      .then((r) => done({
        passes: r.passes.length,
        violations: r.violations.map((v) => ({
          id: v.id,
          impact: v.impact,
          nodes: v.nodes.map((n) => n.target.join(' ')),
        })),
      }))
      .catch((e) => done({ error: String(e) }));";

/// axe-core's source, read once per test process (it is injected on every screen checked).
fn axe_source() -> &'static str {
    static AXE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    AXE.get_or_init(|| {
        let path = workspace().join("ui/node_modules/axe-core/axe.min.js");
        std::fs::read_to_string(&path)
            .unwrap_or_else(|err| panic!("{}: {err} (run npm install in ui/)", path.display()))
    })
}

impl AppWindow {
    /// Runs axe-core on the screen as it is; panics on any serious or critical violation,
    /// naming the rule and the elements. `screen` names it in the message.
    pub async fn assert_accessible(&self, screen: &str) {
        let result = self.script(&format!("{}\n{RUN_AXE}", axe_source())).await;
        if let Some(error) = result.get("error") {
            panic!("{screen}: axe-core failed: {error}");
        }
        let passes = result["passes"].as_u64().unwrap_or(0);
        assert!(passes > 0, "{screen}: axe-core checked nothing: {result}");
        let all = result["violations"].as_array().map_or(0, Vec::len);
        eprintln!(
            "{screen}: axe-core: {passes} rules passed, {all} violated: {}",
            result["violations"]
        );
        let serious: Vec<String> = result["violations"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
            .map(|v| format!("{} ({}) on {}", v["id"], v["impact"], v["nodes"]))
            .collect();
        assert!(
            serious.is_empty(),
            "{screen}: accessibility violations:\n{}",
            serious.join("\n")
        );
    }
}
