//! The coverage matrix: per API, operations × statuses, each documented pair with how
//! often the run produced it, how (by a vendor trigger or by `Prefer: code`), or why no
//! request could.

use std::collections::BTreeMap;

use serde::Serialize;

use super::ExchangeRecord;
use crate::operation::Api;
use crate::spec::spec;

/// One cell of the coverage matrix.
#[derive(Debug, Clone, Serialize)]
pub struct CoverageCell {
    /// HTTP status.
    pub status: u16,
    /// Whether the spec documents it for this operation.
    pub documented: bool,
    /// How many exchanges of the run got it.
    pub count: usize,
    /// How many of those asked a twin for the status (`Prefer: code=NNN`) because the
    /// vendor documents no trigger for it.
    pub preferred: usize,
    /// For a documented pair no exchange got: why it could not be reached.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unreachable: Option<String>,
}

/// One operation's row of the coverage matrix.
#[derive(Debug, Clone, Serialize)]
pub struct CoverageRow {
    /// operationId.
    pub operation: String,
    /// One cell per status column.
    pub cells: Vec<CoverageCell>,
}

/// Operations × statuses of one API.
#[derive(Debug, Clone, Serialize)]
pub struct Coverage {
    /// API name.
    pub api: String,
    /// API title.
    pub title: String,
    /// Status columns: every documented status, plus undocumented ones seen.
    pub statuses: Vec<u16>,
    /// Rows.
    pub rows: Vec<CoverageRow>,
    /// Documented pairs, how many were exercised, and how many could not be (each with
    /// its reason in its cell).
    pub totals: CoverageTotals,
}

/// One API's coverage in numbers.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct CoverageTotals {
    /// Documented (operation, status) pairs.
    pub documented: usize,
    /// Of those, pairs some exchange of the run got.
    pub exercised: usize,
    /// Of those, pairs some exchange got without asking a twin for it (`Prefer`): what
    /// a vendor's sandbox would answer the same way.
    pub by_trigger: usize,
    /// Of those, pairs with a reason why they were not reached.
    pub unreachable: usize,
    /// exercised / documented, in percent (rounded down).
    pub percent: usize,
}

impl Coverage {
    /// Documented (operation, status) pairs that some exchange got, and all documented pairs.
    pub fn exercised(&self) -> (usize, usize) {
        let cells = self.rows.iter().flat_map(|r| &r.cells).filter(|c| c.documented);
        cells.fold((0, 0), |(hit, all), c| (hit + usize::from(c.count > 0), all + 1))
    }
}

fn statuses_documented(api: Api, operation: &str) -> Vec<u16> {
    spec(api)
        .operation(operation)
        .map(|o| o.responses.keys().filter_map(|k| k.parse().ok()).collect())
        .unwrap_or_default()
}

impl Coverage {
    /// One API's matrix from the run's exchanges.
    /// `unreachable` says why a documented pair no exchange got could not be reached
    /// (the sweep knows; the report only shows it).
    pub(crate) fn build(
        api: Api,
        all: &[ExchangeRecord],
        unreachable: impl Fn(Api, &crate::spec::Operation, u16) -> String,
    ) -> Coverage {
        let ops = &spec(api).operations;
        let mut counts: BTreeMap<(&str, u16), usize> = BTreeMap::new();
        let mut preferred: BTreeMap<(&str, u16), usize> = BTreeMap::new();
        for e in all.iter().filter(|e| e.api == api) {
            if let Some(s) = e.status {
                *counts.entry((e.operation.as_str(), s)).or_default() += 1;
                if e.preferred {
                    *preferred.entry((e.operation.as_str(), s)).or_default() += 1;
                }
            }
        }
        let mut statuses: Vec<u16> = ops
            .iter()
            .flat_map(|o| statuses_documented(api, o.operation_id))
            .chain(counts.keys().map(|(_, s)| *s))
            .collect();
        statuses.sort_unstable();
        statuses.dedup();
        let rows: Vec<CoverageRow> = ops
            .iter()
            .map(|o| {
                let documented = statuses_documented(api, o.operation_id);
                let cell = |s: u16| {
                    let count = counts.get(&(o.operation_id, s)).copied().unwrap_or(0);
                    let documented = documented.contains(&s);
                    CoverageCell {
                        status: s,
                        documented,
                        count,
                        preferred: preferred.get(&(o.operation_id, s)).copied().unwrap_or(0),
                        unreachable: (documented && count == 0).then(|| unreachable(api, o, s)),
                    }
                };
                CoverageRow {
                    operation: o.operation_id.to_string(),
                    cells: statuses.iter().map(|&s| cell(s)).collect(),
                }
            })
            .collect();
        let cells = || rows.iter().flat_map(|r| &r.cells).filter(|c| c.documented);
        let documented = cells().count();
        let exercised = cells().filter(|c| c.count > 0).count();
        let totals = CoverageTotals {
            documented,
            exercised,
            by_trigger: cells().filter(|c| c.count > c.preferred).count(),
            unreachable: documented - exercised,
            percent: (exercised * 100).checked_div(documented).unwrap_or(0),
        };
        Coverage { api: api.name().into(), title: api.title().into(), statuses, rows, totals }
    }
}
