@adyen
Feature: Adyen classic Payment API v40 authorisation
  /authorise with the test card; card.holderName drives the result.

  Background:
    Given the adyen API

  Scenario: An approved authorisation has a 16-character pspReference
    When I authorize 1000 EUR
    Then the status is 200
    And the outcome is "Authorised"
    And the response field "pspReference" has 16 characters

  # Adyen's classic-API testing page: every card.holderName and response code it lists.
  Scenario Outline: Holder names drive the result code and refusal reason
    When I authorize 1000 EUR for card holder "<holder>"
    Then the status is 200
    And the outcome is "<result>"
    And the response field "refusalReason" is "<reason>"

    # Source: Adyen's classic-API "Testing result codes" page, rows 0-18 as read there
    # (rows past 19 come from third-party copies and are pinned by tests/vendor_facts.rs only).
    Examples:
      | holder               | result   | reason               |
      | UNKNOWN              | Error    | Unknown              |
      | DECLINED             | Refused  | Refused              |
      | REFERRAL             | Refused  | Referral             |
      | ERROR                | Error    | Acquirer Error       |
      | BLOCK_CARD           | Refused  | Blocked Card         |
      | CARD_EXPIRED         | Refused  | Expired Card         |
      | INVALID_AMOUNT       | Refused  | Invalid Amount       |
      | INVALID_CARD_NUMBER  | Refused  | Invalid Card Number  |
      | ISSUER_UNAVAILABLE   | Refused  | Issuer Unavailable   |
      | NOT_SUPPORTED        | Refused  | Not supported        |
      | NOT_3D_AUTHENTICATED | Refused  | 3D Not Authenticated |
      | NOT_ENOUGH_BALANCE   | Refused  | Not enough balance   |
      | ACQUIRER_FRAUD       | Refused  | Acquirer Fraud       |
      | CANCELLED            | Refused  | Cancelled            |
      | SHOPPER_CANCELLED    | Refused  | Shopper Cancelled    |
      | INVALID_PIN          | Refused  | Invalid Pin          |
      | PIN_TRIES_EXCEEDED   | Refused  | Pin tries exceeded   |

  Scenario Outline: Holder names that are no refusal
    When I authorize 1000 EUR for card holder "<holder>"
    Then the status is 200
    And the outcome is "<result>"
    And the response has no field "refusalReason"

    Examples:
      | holder   | result     |
      | APPROVED | Authorised |
      | PENDING  | Received   |

  Scenario Outline: RequestedTestAcquirerResponseCode drives the result too
    When I authorize 1000 EUR with the field "additionalData" set to the JSON '{"RequestedTestAcquirerResponseCode": "<code>"}'
    Then the status is 200
    And the outcome is "<result>"

    Examples:
      | code | result     |
      | 0    | Error      |
      | 1    | Authorised |
      | 4    | Error      |
      | 13   | Received   |
      | 16   | Refused    |

  Scenario: A missing required field is named (130)
    When I authorize 1000 EUR without the field "reference"
    Then the status is 422
    And the error is "130"
    And the error message is "Required field 'reference' is not provided."

  # Source: a real answer quoted in Adyen/adyen-python-api-library#238.
  Scenario: A missing merchant account is 901, as a real Adyen answer shows
    When I authorize 1000 EUR without the field "merchantAccount"
    Then the status is 422
    And the error is "901"
    And the error message is "Invalid Merchant Account"

  # Source: a real answer quoted in Adyen/adyen-ruby-api-library#168.
  Scenario: A missing amount is 100, "Required object 'amount' is not provided."
    When I authorize 1000 EUR without the field "amount"
    Then the status is 422
    And the error is "100"
    And the error message is "Required object 'amount' is not provided."

  # Source: Adyen's API error codes (103 "CVC is not the right length"); a Visa CVC is 3 digits.
  Scenario: A CVC of the wrong length is 103
    When I authorize 1000 EUR with the field "card.cvc" set to "73"
    Then the status is 422
    And the error is "103"

  Scenario: A card number that fails the Luhn check is a 101
    When I authorize 1000 EUR with the field "card.number" set to "4111111111111112"
    Then the status is 422
    And the error is "101"

  Scenario: Malformed JSON is a 702
    When I send the authorization body '{"merchantAccount": '
    Then the status is 400
    And the error is "702"

  Scenario: No credentials
    When I authorize 1000 EUR without credentials
    Then the status is 401
    And the error is "000"

  Scenario: Malformed credentials
    When I authorize 1000 EUR with malformed credentials
    Then the status is 401
