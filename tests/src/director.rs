//! What a director does in the window, step by step (shared by the tests and the demo).

use crate::AppWindow;

impl AppWindow {
    /// Pastes the invitation and enrols; waits for the home screen.
    pub async fn enrol(&self, invitation: &str) {
        self.fill("invitation", invitation).await;
        self.click("enrol").await;
        self.wait("nav-home").await;
    }

    /// Declares `places` vacant places of each age class (codes of the UI) from the vacancies
    /// screen; waits for each answer.
    pub async fn declare_vacancies(&self, age_classes: &[&str], places: u32) {
        self.click("nav-vacancies").await;
        // The list of this computer's vacancies appears once it is read from the cache.
        self.wait("declared").await;
        // WebKitWebDriver's element text has no line breaks between list items: count them.
        let before = self.count_css("[data-testid=declared] li").await;
        for (i, age) in age_classes.iter().enumerate() {
            self.select("vacancy-age", age).await;
            self.fill("vacancy-places", &places.to_string()).await;
            self.click("declare").await;
            self.wait_css(&format!(
                "[data-testid=declared] li:nth-child({})",
                before + i + 1
            ))
            .await;
        }
    }

    /// Syncs from the home screen; returns the pages the progress bar went through.
    pub async fn sync(&self) -> u32 {
        self.click("nav-home").await;
        self.click("sync").await;
        let done = self.wait("sync-done").await;
        done.attr("data-pages")
            .await
            .ok()
            .flatten()
            .and_then(|p| p.parse().ok())
            .unwrap_or(0)
    }
}
