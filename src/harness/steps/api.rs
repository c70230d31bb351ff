//! Choosing the API a scenario talks to.

use cucumber::given;

use super::params::ApiName;
use crate::harness::world::ConformanceWorld;

/// `Given the adyen API`: connect the generated client of that API to the run's target.
#[given(expr = "the {api} API")]
async fn the_api(w: &mut ConformanceWorld, api: ApiName) -> Result<(), String> {
    w.connect(api.0)
}
