@worldpay-payments
Feature: Payments API 2024-06-01 lifecycle
  Every request carries WP-Api-Version; responses name the legal next steps in _actions.
  (Rule errors' names and exact action sets are the twin's: see twin-rules.feature.)
  Settling or refunding more than is left is refused at once or, as a 202 ("received,
  not processed") whose event then fails: no Worldpay page documents which.

  Background:
    Given the worldpay-payments API

  Scenario: An authorization offers cancel and settle
    When I authorize 1000 GBP
    Then the status is 201
    And the outcome is "authorized"
    And the next actions include "cancelPayment, settlePayment"
    And the next actions do not include "refundPayment, partiallyRefundPayment"
    And the last event is "Authorized"

  Scenario: Settle, then partial refunds with their _actions
    Given I authorize 1000 GBP
    When I settle the payment
    Then the status is 202
    And the outcome is "sentForSettlement"
    And the next actions include "partiallyRefundPayment"
    And the next actions do not include "cancelPayment, settlePayment"
    When I partially refund 10
    Then the status is 202
    And the outcome is "sentForPartialRefund"
    And the next actions include "partiallyRefundPayment"
    And the last event is "Sent for Refund"
    When I partially refund 991
    Then it is refused, at once or in its event
    When I partially refund 990
    Then the status is 202

  Scenario: Partial settlements never exceed the authorization
    Given I authorize 1000 GBP
    When I partially settle 600
    Then the status is 202
    When I partially settle 401
    Then it is refused, at once or in its event
    When I partially settle 400
    Then the status is 202

  Scenario: Full refund
    Given I authorize 700 GBP
    And I settle the payment
    When I refund the payment
    Then the status is 202
    And the outcome is "sentForRefund"
    And the next actions do not include "cancelPayment, settlePayment, partiallySettlePayment"

  # Decision (README, seed-versus-vendor table): PartialSettleActionList offers cancel;
  # it releases the unsettled rest.
  Scenario: Cancel after a partial settle releases the rest
    Given I authorize 500 GBP
    And I partially settle 100
    When I cancel the payment
    Then the status is 202

  Scenario: Cancel an authorization
    Given I authorize 500 GBP
    When I cancel the payment
    Then the status is 202
    And the outcome is "sentForCancellation"
    And the next actions do not include "settlePayment, partiallySettlePayment, cancelPayment"
    And the last event is "Sent for Cancellation"

  Scenario: Reverse an authorization
    Given I authorize 500 GBP
    When I reverse the payment
    Then the status is 202
    And the outcome is "sentForReversal"

  Scenario: The Payments API has no partial cancellation
    When I authorize 500 GBP
    Then the next actions do not include "partiallyCancelPayment"

  Scenario: Partial authorization of 1706 yields 123
    When I authorize 1706 GBP accepting a partial amount
    Then the status is 201
    And the response field "amounts.totalAuthorized" is "123"
    When I settle the payment
    Then the status is 202
    When I partially refund 124
    Then it is refused, at once or in its event

  Scenario: Auto-settlement answers 202 sentForSettlement
    When I authorize 100 GBP with auto-settlement
    Then the status is 202
    And the outcome is "sentForSettlement"
    And the next actions do not include "cancelPayment, settlePayment"

  Scenario: A refused authorization offers nothing
    When I authorize 100 GBP for card holder "REFUSED51"
    Then the status is 201
    And the outcome is "refused"
    And the next actions do not include "cancelPayment, settlePayment, partiallySettlePayment"
