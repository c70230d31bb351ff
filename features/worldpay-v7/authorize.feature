@worldpay-v7
Feature: Card Payments v7 authorization
  Authorizations through POST /cardPayments/customerInitiatedTransactions, the magic
  values of the Worldpay test environment, and the action links an authorization offers.

  Background:
    Given the worldpay-v7 API

  Scenario: An authorization offers cancel and settle links
    When I authorize 250 GBP
    Then the status is 201
    And the outcome is "authorized"
    And the response field "paymentInstrument.type" is "card/plain+masked"
    And the next actions include "cardPayments:cancel, cardPayments:settle"
    And the next actions do not include "cardPayments:refund, cardPayments:partialRefund"

  # Seed 004: "If a partial amount is authorized, you will receive an authorized outcome
  # with an amounts object"; other amounts are authorized in full, without one.
  Scenario: Partial authorization of 1706 yields 123
    When I authorize 1706 GBP accepting a partial amount
    Then the status is 201
    And the outcome is "authorized"
    And the response field "amounts.requested" is "1706"
    And the response field "amounts.totalAuthorized" is "123"
    And the response field "amounts.partialAuthorization" is "true"

  Scenario Outline: Other amounts authorize in full, without an amounts object
    When I authorize <amount> GBP accepting a partial amount
    Then the status is 201
    And the outcome is "authorized"
    And the response has no field "amounts"

    Examples:
      | amount |
      | 1705   |
      | 250    |

  Scenario: Without acceptPartialAmount, 1706 authorizes in full
    When I authorize 1706 GBP
    Then the outcome is "authorized"
    And the response has no field "amounts"

  # Worldpay's testing page publishes a code and description for each REFUSED<n>
  # (vendor-facts/worldpay-test-values.json); plain REFUSED has none (see the @twin file).
  Scenario Outline: Card holder names drive refusals
    When I authorize 100 GBP for card holder "<holder>"
    Then the status is 201
    And the outcome is "refused"
    And the response field "refusalCode" is "<code>"
    And the response field "refusalDescription" is "<description>"
    And the next actions do not include "cardPayments:settle, cardPayments:cancel"

    Examples:
      | holder     | code | description     |
      | REFUSED4   | 4    | HOLD CARD       |
      | REFUSED13  | 13   | INVALID AMOUNT  |
      | REFUSED33  | 33   | CARD EXPIRED    |
      | REFUSED51  | 51   | LIMIT EXCEEDED  |

  Scenario: Plain REFUSED is refused
    When I authorize 100 GBP for card holder "REFUSED"
    Then the status is 201
    And the outcome is "refused"

  Scenario: Auto-settlement sends the payment for settlement at once
    When I authorize 100 GBP with auto-settlement
    Then the status is 201
    And the outcome is "Sent for Settlement"
    And the next actions do not include "cardPayments:settle, cardPayments:cancel"
    And the last event is "Sent for Settlement"

  Scenario: A partial amount needs auto-settlement off
    When I authorize 100 GBP with auto-settlement accepting a partial amount
    Then the status is 400
    And the error is "bodyDoesNotMatchSchema"
    And the validation errors include "fieldHasInvalidValue" at "$.instruction.value.acceptPartialAmount"
