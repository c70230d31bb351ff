//! Property tests of the ledger's money rules (proptest): random sequences of every
//! operation with random amounts, one after another and from several threads at once.

use std::sync::Arc;

use proptest::prelude::*;

use super::ledger::{Ledger, NewPayment, Op, Payment, RuleError, Status};

fn op() -> impl Strategy<Value = Op> {
    let amount = -5i64..400;
    prop_oneof![
        Just(Op::SettleFull),
        amount.clone().prop_map(Op::SettlePartial),
        Just(Op::CancelFull),
        amount.clone().prop_map(Op::CancelPartial),
        Just(Op::RefundFull),
        amount.clone().prop_map(Op::RefundPartial),
        Just(Op::Reverse),
        amount.prop_map(Op::Adjust),
    ]
}

fn new_payment(authorized: i64, settle_now: bool) -> NewPayment {
    NewPayment {
        merchant: 7,
        status: Status::Authorized,
        currency: "GBP".into(),
        requested: authorized,
        authorized,
        settle_now,
        reference: "r".into(),
        fails: None,
        brand: "",
        pre_auth: false,
    }
}

fn assert_money_rules(p: &Payment) -> Result<(), TestCaseError> {
    prop_assert!(p.cancelled >= 0 && p.settled >= 0 && p.refunded >= 0, "{p:?}");
    prop_assert!(p.cancelled + p.settled <= p.authorized, "cancelled + settled > authorized: {p:?}");
    prop_assert!(p.refunded <= p.settled, "refunded > settled: {p:?}");
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// One at a time: every success keeps the rules, every rule break changes nothing.
    #[test]
    fn sequences_keep_the_money_rules(
        authorized in 1i64..500,
        settle_now in any::<bool>(),
        ops in proptest::collection::vec(op(), 1..40),
    ) {
        let ledger = Ledger::new(4);
        let id = ledger.create(new_payment(authorized, settle_now), |id| format!("p{id}")).id;
        for op in ops {
            let before = ledger.get(7, id).expect("the payment exists");
            match ledger.apply(7, id, op).expect("the payment exists") {
                Ok(after) => {
                    assert_money_rules(&after)?;
                    prop_assert_eq!(Some(after.clone()), ledger.get(7, id));
                    // A success moves money only the way the operation says.
                    match op {
                        Op::SettlePartial(a) => prop_assert_eq!(after.settled - before.settled, a),
                        Op::CancelPartial(a) => prop_assert_eq!(after.cancelled - before.cancelled, a),
                        Op::RefundPartial(a) => prop_assert_eq!(after.refunded - before.refunded, a),
                        _ => {}
                    }
                    prop_assert!(after.refunded >= before.refunded && after.settled >= before.settled);
                }
                Err(e) => {
                    prop_assert_eq!(Some(before), ledger.get(7, id), "{:?} broke a rule ({}) and changed state", op, e);
                    if matches!(op, Op::SettlePartial(a) | Op::CancelPartial(a) | Op::RefundPartial(a) | Op::Adjust(a) if a <= 0) {
                        prop_assert_eq!(e, RuleError::NotPositive);
                    }
                }
            }
            // Another merchant can neither see nor move it.
            prop_assert!(ledger.apply(8, id, op).is_none());
        }
    }

    /// From four threads at once on the same payment: the rules hold, and the money
    /// that moved is exactly the sum of the successful partial operations.
    #[test]
    fn concurrent_partial_operations_conserve_money(
        authorized in 100i64..2_000,
        plans in proptest::collection::vec(proptest::collection::vec(0usize..3, 1..30), 4),
        amounts in proptest::collection::vec(1i64..200, 30),
    ) {
        let ledger = Arc::new(Ledger::new(4));
        let id = ledger.create(new_payment(authorized, false), |id| format!("p{id}")).id;
        let threads: Vec<_> = plans
            .into_iter()
            .map(|plan| {
                let ledger = ledger.clone();
                let amounts = amounts.clone();
                std::thread::spawn(move || {
                    let mut moved = [0i64; 3];
                    for (i, kind) in plan.into_iter().enumerate() {
                        let a = amounts[i % amounts.len()];
                        let op = [Op::SettlePartial(a), Op::CancelPartial(a), Op::RefundPartial(a)][kind];
                        if let Some(Ok(p)) = ledger.apply(7, id, op) {
                            moved[kind] += a;
                            assert!(p.cancelled + p.settled <= p.authorized && p.refunded <= p.settled);
                        }
                    }
                    moved
                })
            })
            .collect();
        let mut moved = [0i64; 3];
        for t in threads {
            let m = t.join().expect("no thread panics");
            for k in 0..3 {
                moved[k] += m[k];
            }
        }
        let p = ledger.get(7, id).expect("the payment exists");
        assert_money_rules(&p)?;
        prop_assert_eq!((p.settled, p.cancelled, p.refunded), (moved[0], moved[1], moved[2]));
    }
}
