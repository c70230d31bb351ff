@worldpay-v7
Feature: Card Payments v7 cancellation
  Only an authorized payment can be cancelled; a settled payment must be refunded.

  Background:
    Given the worldpay-v7 API

  Scenario: Full cancel of an authorization
    Given I authorize 300 GBP
    When I cancel the payment
    Then the status is 202
    And the next actions are "none"
    And the last event is "Sent for Cancellation"

  Scenario: Partial cancel keeps the rest authorized
    Given I authorize 500 GBP
    When I partially cancel 100
    Then the status is 202
    And the next actions are "cardPayments:cancel, cardPayments:partialCancel, cardPayments:settle, cardPayments:partialSettle, cardPayments:reverse"
    When I partially settle 401
    Then the status is 400
    And the error is "amountExceedsAuthorizedAmount"
    When I partially settle 400
    Then the status is 202

  Scenario Outline: Cancel after settlement is refused
    Given I authorize 500 GBP
    And I <settle>
    When I <cancel>
    Then the status is 400
    And the error is "cancelNotAllowed"

    Examples:
      | settle                 | cancel               |
      | settle the payment     | cancel the payment   |
      | partially settle 200   | cancel the payment   |
      | partially settle 200   | partially cancel 1   |

  Scenario: A cancelled payment cannot be settled
    Given I authorize 300 GBP
    And I cancel the payment
    When I settle the payment
    Then the status is 400
    And the error is "settlementNotAllowed"
