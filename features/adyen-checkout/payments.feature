@adyen-checkout
Feature: Adyen Checkout API card payments
  POST /payments with a card (paymentMethod type "scheme"). The result comes from
  Adyen's documented test values, exactly as on the classic API: the holder name and
  additionalData.RequestedTestAcquirerResponseCode decide the resultCode.

  Background:
    Given the adyen-checkout API

  Scenario: An approved card payment
    When I authorize 1000 EUR
    Then the status is 200
    And the outcome is "Authorised"
    And the response field "pspReference" has 16 characters
    And the response has no field "refusalReason"

  # Adyen's "Testing result codes and refusal reasons" page holds for every Adyen API.
  Scenario Outline: Holder names drive the result code and refusal reason
    When I authorize 1000 EUR for card holder "<holder>"
    Then the status is 200
    And the outcome is "<result>"
    And the response field "refusalReason" is "<reason>"

    Examples:
      | holder              | result  | reason              |
      | UNKNOWN             | Error   | Unknown             |
      | DECLINED            | Refused | Refused             |
      | REFERRAL            | Refused | Referral            |
      | ERROR               | Error   | Acquirer Error      |
      | BLOCK_CARD          | Refused | Blocked Card        |
      | CARD_EXPIRED        | Refused | Expired Card        |
      | INVALID_CARD_NUMBER | Refused | Invalid Card Number |
      | NOT_ENOUGH_BALANCE  | Refused | Not enough balance  |
      | SHOPPER_CANCELLED   | Refused | Shopper Cancelled   |

  Scenario: A PENDING holder name is Received, with no refusal
    When I authorize 1000 EUR for card holder "PENDING"
    Then the status is 200
    And the outcome is "Received"
    And the response has no field "refusalReason"

  Scenario Outline: RequestedTestAcquirerResponseCode drives the result too
    When I authorize 1000 EUR with the field "additionalData" set to the JSON '{"RequestedTestAcquirerResponseCode": "<code>"}'
    Then the status is 200
    And the outcome is "<result>"

    Examples:
      | code | result     |
      | 1    | Authorised |
      | 2    | Refused    |
      | 13   | Received   |

  # Adyen's own 422 example for POST /payments (CheckoutService-v71).
  Scenario: A payment without a returnUrl is 14_030
    When I authorize 1000 EUR without the field "returnUrl"
    Then the status is 422
    And the error is "14_030"
    And the error message is "Return URL is missing."

  Scenario: A missing amount is 100
    When I authorize 1000 EUR without the field "amount"
    Then the status is 422
    And the error is "100"

  Scenario: A card number that fails the Luhn check is a 101
    When I authorize 1000 EUR with the field "paymentMethod.number" set to "4111111111111112"
    Then the status is 422
    And the error is "101"

  Scenario: A CVC of the wrong length is 103
    When I authorize 1000 EUR with the field "paymentMethod.cvc" set to "73"
    Then the status is 422
    And the error is "103"

  Scenario: Malformed JSON is a 702
    When I send the authorization body '{"merchantAccount": '
    Then the status is 400
    And the error is "702"

  Scenario: No credentials
    When I authorize 1000 EUR without credentials
    Then the status is 401
    And the error is "000"

  # The twin echoes the merchant's reference and the amount, as Adyen's card example
  # shows merchantReference; the amount is in Adyen's response schema but not in that
  # example, so only on a twin.
  @twin
  Scenario: The answer echoes the merchant reference and the amount
    When I authorize 1000 EUR
    Then the response field "amount.value" is "1000"
    And the response field "amount.currency" is "EUR"
