//! Reading the feature files and planning each scenario: left out by tags, skipped
//! with a reason, or run.

use super::target::Endpoint;
use super::world::api_by_name;
use super::{FEATURES, HarnessError, ID_TAG, NOTIFICATIONS_TAG, TWIN_TAG};
use crate::operation::Api;
use cucumber::feature::Ext as _;
use cucumber::gherkin::{self, GherkinEnv};
use cucumber::tag::Ext as _;
use include_dir::Dir;
use std::path::{Path, PathBuf};

/// One feature file's text.
pub(super) struct Source {
    path: String,
    text: String,
}

/// The built-in features, or the given feature files and directories (searched
/// recursively), each path at most once.
pub(super) fn load_sources(paths: &[PathBuf]) -> Result<Vec<Source>, HarnessError> {
    let mut out = Vec::new();
    if paths.is_empty() {
        fn walk(d: &Dir<'static>, out: &mut Vec<Source>) {
            for f in d.files() {
                if f.path().extension().is_some_and(|e| e == "feature") {
                    out.push(Source {
                        path: format!("features/{}", f.path().display()),
                        text: f.contents_utf8().unwrap_or_default().to_string(),
                    });
                }
            }
            for sub in d.dirs() {
                walk(sub, out);
            }
        }
        walk(&FEATURES, &mut out);
    }
    fn walk(d: &Path, out: &mut Vec<Source>) -> std::io::Result<()> {
        for entry in std::fs::read_dir(d)? {
            let p = entry?.path();
            if p.is_dir() {
                walk(&p, out)?;
            } else if p.extension().is_some_and(|e| e == "feature") {
                out.push(Source { path: p.display().to_string(), text: std::fs::read_to_string(&p)? });
            }
        }
        Ok(())
    }
    for path in paths {
        let unreadable = |e: std::io::Error| HarnessError::Usage(format!("cannot read {}: {e}", path.display()));
        if path.is_dir() {
            let before = out.len();
            walk(path, &mut out).map_err(unreadable)?;
            if out.len() == before {
                return Err(HarnessError::Usage(format!("no .feature files under {}", path.display())));
            }
        } else if path.is_file() {
            if path.extension().is_none_or(|e| e != "feature") {
                return Err(HarnessError::Usage(format!("{} is not a .feature file", path.display())));
            }
            out.push(Source {
                path: path.display().to_string(),
                text: std::fs::read_to_string(path).map_err(unreadable)?,
            });
        } else {
            return Err(HarnessError::Usage(format!(
                "{} does not exist (give feature files or directories)",
                path.display()
            )));
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out.dedup_by(|a, b| a.path == b.path);
    Ok(out)
}

pub(super) fn parse_features(sources: Vec<Source>) -> Result<Vec<gherkin::Feature>, HarnessError> {
    sources
        .into_iter()
        .map(|s| {
            let mut f = gherkin::Feature::parse(&s.text, GherkinEnv::default()).map_err(|e| {
                HarnessError::Usage(match crate::harness::suggest::misspelled_keyword(&s.text) {
                    Some((line, hint)) => format!("{}:{line}: not valid Gherkin: {hint}", s.path),
                    None => format!("{}: not valid Gherkin: {e}", s.path),
                })
            })?;
            // A misspelled `Scenario:` parses as description text: say so rather than
            // run a feature without scenarios.
            if f.scenarios.is_empty()
                && f.rules.iter().all(|r| r.scenarios.is_empty())
                && let Some((line, hint)) = crate::harness::suggest::misspelled_keyword(&s.text)
            {
                return Err(HarnessError::Usage(format!("{}:{line}: no scenario found: {hint}", s.path)));
            }
            f.path = Some(PathBuf::from(&s.path));
            f.expand_examples().map_err(|e| HarnessError::Usage(format!("{}: {e}", s.path)))
        })
        .collect()
}

/// The API a scenario declares with `Given the <api> API` (in a Background or itself).
fn scenario_api(feature: &gherkin::Feature, rule: Option<&gherkin::Rule>, scenario: &gherkin::Scenario) -> Option<Api> {
    let steps = feature
        .background
        .iter()
        .flat_map(|b| &b.steps)
        .chain(rule.and_then(|r| r.background.as_ref()).into_iter().flat_map(|b| &b.steps))
        .chain(&scenario.steps);
    steps.filter_map(|s| s.value.strip_prefix("the ")?.strip_suffix(" API")).find_map(api_by_name)
}

/// What the run knows about one scenario before it runs.
#[derive(Debug, Clone)]
pub(crate) struct Planned {
    pub(crate) api: Option<Api>,
    pub(crate) feature: String,
    pub(crate) path: String,
    pub(crate) line: usize,
    pub(crate) name: String,
    pub(crate) tags: Vec<String>,
    pub(crate) skip: Option<String>,
}

/// A scenario's name; an Outline's row is named by its example values
/// (`Cancel without a required field is rejected (field: merchantAccount, code: 130)`).
fn outline_row_name(sc: &gherkin::Scenario) -> String {
    let row = sc.examples.iter().filter_map(|e| e.table.as_ref()).find_map(|t| {
        // An expanded row keeps the header and its own row (or, elsewhere, the whole
        // table, where the row is found by its line).
        let header = t.rows.first()?;
        let values = if t.rows.len() == 2 {
            t.rows.get(1)?
        } else {
            let index = sc.position.line.checked_sub(t.position.line)?;
            t.rows.get(index).filter(|_| index > 0)?
        };
        Some(header.iter().zip(values).map(|(h, v)| format!("{h}: {v}")).collect::<Vec<_>>().join(", "))
    });
    match row {
        Some(values) => format!("{} ({values})", sc.name),
        None => sc.name.clone(),
    }
}

/// Decide per scenario: left out by tags, skipped with a reason, or run (tagged with its id).
pub(super) fn plan(
    features: &mut Vec<gherkin::Feature>,
    tags: Option<&gherkin::tagexpr::TagOperation>,
    endpoints: &[Endpoint],
    twin: bool,
    no_notifications: Option<&str>,
) -> Vec<Planned> {
    let mut planned = Vec::new();
    let mut decide = |feature: &gherkin::Feature, rule: Option<&gherkin::Rule>, sc: &mut gherkin::Scenario| -> bool {
        let all_tags: Vec<String> =
            feature.tags.iter().chain(rule.iter().flat_map(|r| &r.tags)).chain(&sc.tags).cloned().collect();
        if tags.is_some_and(|t| !t.eval(all_tags.iter())) {
            return false;
        }
        let api = scenario_api(feature, rule, sc);
        let skip =
            if let Some(why) = api.and_then(|a| endpoints.iter().find(|e| e.api == a)).and_then(|e| e.skip.clone()) {
                Some(why)
            } else if !twin && all_tags.iter().any(|t| t == TWIN_TAG) {
                Some(
                    "tagged @twin: asserts what only payconform's twin does, and the target is not a twin \
                     (no answer at /__payconform/twin, or a twin in variance mode)"
                        .into(),
                )
            } else {
                no_notifications.filter(|_| all_tags.iter().any(|t| t == NOTIFICATIONS_TAG)).map(str::to_string)
            };
        let id = planned.len();
        planned.push(Planned {
            api,
            feature: feature.name.clone(),
            path: feature.path.as_ref().map(|p| p.display().to_string()).unwrap_or_default(),
            line: sc.position.line,
            name: outline_row_name(sc),
            tags: all_tags,
            skip: skip.clone(),
        });
        sc.tags.push(format!("{ID_TAG}{id}"));
        skip.is_none()
    };
    for f in features.iter_mut() {
        let mut scenarios = std::mem::take(&mut f.scenarios);
        scenarios.retain_mut(|sc| decide(f, None, sc));
        f.scenarios = scenarios;
        let mut rules = std::mem::take(&mut f.rules);
        for r in &mut rules {
            let mut scenarios = std::mem::take(&mut r.scenarios);
            scenarios.retain_mut(|sc| decide(f, Some(r), sc));
            r.scenarios = scenarios;
        }
        rules.retain(|r| !r.scenarios.is_empty());
        f.rules = rules;
    }
    features.retain(|f| !f.scenarios.is_empty() || !f.rules.is_empty());
    planned
}

pub(super) fn scenario_id(sc: &gherkin::Scenario) -> Option<usize> {
    sc.tags.iter().find_map(|t| t.strip_prefix(ID_TAG)?.parse().ok())
}

/// Features already parsed and planned, handed to cucumber as they are.
pub(super) struct Preparsed(pub(super) Vec<gherkin::Feature>);

impl cucumber::Parser<()> for Preparsed {
    type Cli = cucumber::cli::Empty;
    type Output = futures::stream::Iter<std::vec::IntoIter<cucumber::parser::Result<gherkin::Feature>>>;
    fn parse(self, _: (), _: Self::Cli) -> Self::Output {
        futures::stream::iter(self.0.into_iter().map(Ok).collect::<Vec<_>>())
    }
}
