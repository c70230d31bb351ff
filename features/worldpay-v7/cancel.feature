@worldpay-v7
Feature: Card Payments v7 cancellation
  Only an authorized payment can be cancelled; a settled payment must be refunded.
  (Rule errors' names are the twin's: see twin-rules.feature.)
  Settling or refunding more than is left is refused at once or, as a 202 ("received,
  not processed") whose event then fails: no Worldpay page documents which.

  Background:
    Given the worldpay-v7 API

  Scenario: Full cancel of an authorization
    Given I authorize 300 GBP
    When I cancel the payment
    Then the status is 202
    And the next actions do not include "cardPayments:settle, cardPayments:partialSettle, cardPayments:cancel"
    And the last event is "Sent for Cancellation"

  Scenario: Partial cancel keeps the rest authorized
    Given I authorize 500 GBP
    When I partially cancel 100
    Then the status is 202
    And the next actions include "cardPayments:partialSettle"
    When I partially settle 401
    Then it is refused, at once or in its event
    When I partially settle 400
    Then the status is 202

  # Decision (README, seed-versus-vendor table): after a partial settle, cancel releases
  # the unsettled rest, as the vendor's partialSettle link list offers.
  Scenario: Cancel after a partial settle releases the rest
    Given I authorize 500 GBP
    And I partially settle 200
    When I cancel the payment
    Then the status is 202

  Scenario: A settled payment offers no cancel
    Given I authorize 500 GBP
    When I settle the payment
    Then the next actions do not include "cardPayments:cancel, cardPayments:partialCancel"

  Scenario: A cancelled payment offers no settle
    Given I authorize 300 GBP
    When I cancel the payment
    Then the next actions do not include "cardPayments:settle, cardPayments:partialSettle"
