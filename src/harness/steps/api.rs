//! Choosing the API a scenario talks to.

use cucumber::given;

use crate::harness::world::{ConformanceWorld, api_by_name};

/// `Given the adyen API`: connect the generated client of that API to the run's target.
#[given(expr = "the {word} API")]
async fn the_api(w: &mut ConformanceWorld, name: String) -> Result<(), String> {
    let api = api_by_name(&name)
        .ok_or_else(|| format!("unknown API {name:?}: use worldpay-v7, worldpay-payments or adyen"))?;
    w.connect(api)
}
