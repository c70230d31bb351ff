//! The vocabulary's typed parameters. Each is a Cucumber Expression parameter with a
//! regex that admits exactly its words, so a step with a word outside the vocabulary
//! matches no definition and gets the closest one suggested, instead of being parsed
//! at run time.

use std::str::FromStr;

use cucumber::Parameter;

use crate::operation::Action;
use crate::operation::Api;

/// A typed parameter as the vocabulary documents it.
pub(crate) struct Documented {
    /// The name in step expressions (`action`).
    pub(crate) name: &'static str,
    /// Its regex.
    pub(crate) regex: &'static str,
    /// The words it admits, in words.
    pub(crate) words: &'static str,
}

/// Every typed parameter, for suggestions and the step table.
pub(crate) fn parameters() -> &'static [Documented] {
    use cucumber::codegen::Parameter as P;
    macro_rules! documented {
        ($t:ty, $words:literal) => {
            Documented { name: <$t as P>::NAME, regex: <$t as P>::REGEX, words: $words }
        };
    }
    static ALL: [Documented; 7] = [
        documented!(ApiName, "worldpay-v7, worldpay-payments, adyen or adyen-checkout"),
        documented!(Full, "settle, cancel, refund or reverse"),
        documented!(Partial, "settle, cancel or refund"),
        documented!(Currency, "an ISO 4217 code in capitals, such as GBP"),
        documented!(EventCode, "an Adyen eventCode in capitals, such as CAPTURE"),
        documented!(Modification, "capture, cancel, refund, cancelOrRefund, technicalCancel or adjustAuthorisation"),
        documented!(Outcome, "failed or succeeded"),
    ];
    &ALL
}

/// `{api}`: an API by its short name or spec stem (`worldpay-v7`, `adyen-payment-v40`).
/// The attribute needs a literal; `api_words_are_the_one_list` holds it to `Api::ALL`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Parameter)]
#[param(
    name = "api",
    regex = "worldpay-card-payments-v7|worldpay-payments-2024-06-01|adyen-payment-v40|adyen-checkout-v71|worldpay-v7|worldpay-payments|adyen-checkout|adyen"
)]
pub(crate) struct ApiName(pub(crate) Api);

impl FromStr for ApiName {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Api::from_any_name(s).map(ApiName).ok_or_else(|| format!("unknown API {s:?}"))
    }
}

/// `{action}`: a management action in full: `settle`, `cancel`, `refund` or `reverse`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Parameter)]
#[param(name = "action", regex = "settle|cancel|refund|reverse")]
pub(crate) struct Full(pub(crate) Action);

impl FromStr for Full {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "settle" => Ok(Full(Action::Settle)),
            "cancel" => Ok(Full(Action::Cancel)),
            "refund" => Ok(Full(Action::Refund)),
            "reverse" => Ok(Full(Action::Reverse)),
            _ => Err(format!("unknown action {s:?}")),
        }
    }
}

/// `{partial}`: an action on part of the amount: `settle`, `cancel` or `refund`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Parameter)]
#[param(name = "partial", regex = "settle|cancel|refund")]
pub(crate) struct Partial(pub(crate) Action);

impl FromStr for Partial {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "settle" => Ok(Partial(Action::PartialSettle)),
            "cancel" => Ok(Partial(Action::PartialCancel)),
            "refund" => Ok(Partial(Action::PartialRefund)),
            _ => Err(format!("no partial action {s:?}")),
        }
    }
}

/// A parameter that is its word, as written (its regex admits only valid words).
macro_rules! word_parameter {
    ($(#[$doc:meta])* $name:ident, $param:literal, $regex:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Parameter)]
        #[param(name = $param, regex = $regex)]
        pub(crate) struct $name(pub(crate) String);

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                Ok($name(s.to_string()))
            }
        }
    };
}

word_parameter!(
    /// `{currency}`: an ISO 4217 code (`GBP`, `EUR`).
    Currency,
    "currency",
    "[A-Z]{3}"
);
word_parameter!(
    /// `{event}`: an Adyen notification eventCode (`CAPTURE`, `REFUND_FAILED`).
    EventCode,
    "event",
    "[A-Z][A-Z_]*"
);
word_parameter!(
    /// `{modification}`: an Adyen modification as the twin records it.
    Modification,
    "modification",
    "capture|cancel|refund|cancelOrRefund|technicalCancel|adjustAuthorisation"
);

/// `{outcome}`: `failed` or `succeeded`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Parameter)]
#[param(name = "outcome", regex = "failed|succeeded")]
pub(crate) struct Outcome(pub(crate) bool);

impl FromStr for Outcome {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "succeeded" => Ok(Outcome(true)),
            "failed" => Ok(Outcome(false)),
            _ => Err(format!("outcome must be failed or succeeded, not {s:?}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cucumber::codegen::Parameter;

    /// The `{api}` regex admits exactly the names `Api` knows (build/apis.rs).
    #[test]
    fn the_api_parameter_admits_every_api_name_and_no_other() {
        let regex = regex::Regex::new(&format!("^(?:{})$", <ApiName as Parameter>::REGEX)).unwrap();
        let mut names = 0;
        for api in Api::ALL {
            for name in [api.name(), api.short_name()] {
                assert!(regex.is_match(name), "{name}");
                assert_eq!(name.parse::<ApiName>(), Ok(ApiName(api)));
                names += 1;
            }
        }
        let alternatives = <ApiName as Parameter>::REGEX.split('|').count();
        assert_eq!(alternatives, names, "the {{api}} regex lists a name no API has");
        let words = parameters().iter().find(|d| d.name == "api").expect("documented").words;
        for api in Api::ALL {
            assert!(words.contains(api.short_name()), "the {{api}} words do not name {}", api.short_name());
        }
    }

    #[test]
    fn every_word_the_regexes_admit_parses() {
        for word in <Full as Parameter>::REGEX.split('|') {
            assert!(word.parse::<Full>().is_ok(), "{word}");
        }
        for word in <Partial as Parameter>::REGEX.split('|') {
            assert!(word.parse::<Partial>().is_ok(), "{word}");
        }
        assert_eq!("reverse".parse::<Full>(), Ok(Full(Action::Reverse)));
        assert_eq!("settle".parse::<Partial>(), Ok(Partial(Action::PartialSettle)));
        assert!("reverse".parse::<Partial>().is_err());
    }
}
