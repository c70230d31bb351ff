@worldpay-v7
Feature: Card Payments v7 refunds and reversals
  Refunds follow the settlement's links and never exceed what was settled.
  Refunding more than is left is refused at once or, as a 202 ("received, not
  processed") whose event then fails: no Worldpay page documents which.

  Background:
    Given the worldpay-v7 API

  Scenario: Full refund of a settled payment
    Given I authorize 400 GBP
    And I settle the payment
    When I refund the payment
    Then the status is 202
    And the next actions do not include "cardPayments:refund, cardPayments:partialRefund, cardPayments:settle"
    And the last event is "Sent for Refund"

  Scenario: Partial refunds are bounded by what was settled
    Given I authorize 400 GBP
    And I partially settle 150
    When I partially refund 100
    Then the status is 202
    And the next actions include "cardPayments:partialRefund"
    When I partially refund 51
    Then it is refused, at once or in its event
    When I partially refund 50
    Then the status is 202

  Scenario: No refund is offered before settlement
    Given I authorize 400 GBP
    When I partially cancel 1
    Then the next actions do not include "cardPayments:refund, cardPayments:partialRefund"

  Scenario: Reversal of an authorization
    Given I authorize 200 GBP
    When I reverse the payment
    Then the status is 202
    And the next actions do not include "cardPayments:settle, cardPayments:cancel, cardPayments:refund"

  Scenario: A partial refund without a currency names the field
    Given I authorize 400 GBP
    And I settle the payment
    When I partially refund 10 without the field "value.currency"
    Then the status is 400
    And the error is "bodyDoesNotMatchSchema"
    And the validation errors include "fieldIsMissing" at "$.value.currency"
