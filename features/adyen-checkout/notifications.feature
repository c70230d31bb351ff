@adyen-checkout @notifications
Feature: Adyen Checkout API outcomes, from the notifications
  A Checkout modification is only received when it answers; its outcome is the
  notification's. Each step waits for the notification of this scenario's payment,
  verifies its HMAC signature and checks its body against spec/. Elsewhere than the
  built-in twin, route your Adyen webhook to --webhook-listen and set ADYEN_HMAC_KEY.

  Background:
    Given the adyen-checkout API

  Scenario: A card payment is notified
    When I authorize 1000 EUR
    Then a AUTHORISATION notification arrives with success "true" and amount 1000

  Scenario: A refused payment is notified with success "false"
    When I authorize 1000 EUR for card holder "DECLINED"
    Then the outcome is "Refused"
    And a AUTHORISATION notification arrives with success "false"

  Scenario: A full capture is notified
    Given I authorize 1000 EUR
    When I settle the payment
    Then a CAPTURE notification arrives with success "true" and amount 1000

  # The classic integration bug: reading the 201 "received" as the capture's outcome.
  # A capture beyond the authorised amount is received too; only the notification says
  # it failed, so the suite must wait for it.
  Scenario: A received capture beyond the authorised amount is notified as failed
    Given I authorize 1000 EUR
    When I partially settle 1001
    Then the status is 201
    And the response field "status" is "received"
    And a CAPTURE notification arrives with success "false"

  Scenario: Several partial captures up to the authorised amount, then one beyond it
    Given I authorize 1000 EUR
    When I partially settle 600
    Then a CAPTURE notification arrives with success "true" and amount 600
    When I partially settle 400
    Then a CAPTURE notification arrives with success "true" and amount 400
    When I partially settle 1
    Then the response field "status" is "received"
    And a CAPTURE notification arrives with success "false"

  Scenario: A partial refund is notified, and one beyond the capture fails
    Given I authorize 1000 EUR
    And I partially settle 600
    When I partially refund 601
    Then the response field "status" is "received"
    And a REFUND notification arrives with success "false"
    When I partially refund 600
    Then a REFUND notification arrives with success "true" and amount 600

  # Adyen documents that a captured payment can no longer be cancelled.
  Scenario: A cancel after a capture is received, then notified as failed
    Given I authorize 1000 EUR
    And I partially settle 600
    When I cancel the payment
    Then the response field "status" is "received"
    And a CANCELLATION notification arrives with success "false"

  Scenario: A cancel by pspReference is notified
    Given I authorize 1000 EUR
    When I cancel the payment
    Then a CANCELLATION notification arrives with success "true"

  Scenario: A cancel by your own reference is notified as TECHNICAL_CANCEL
    Given I authorize 1000 EUR
    When I technically cancel the payment
    Then a TECHNICAL_CANCEL notification arrives with success "true"

  Scenario: A reversal is notified as CANCEL_OR_REFUND
    Given I authorize 1000 EUR
    When I reverse the payment
    Then a CANCEL_OR_REFUND notification arrives with success "true"

  Scenario: An amount update is notified as AUTHORISATION_ADJUSTMENT
    Given I pre-authorise 1000 EUR
    When I adjust the authorisation to 1500
    Then a AUTHORISATION_ADJUSTMENT notification arrives with success "true" and amount 1500

  # Adyen's testing page: the holder name "capture failed" makes a capture fail with a
  # CAPTURE_FAILED notification (its Webhooks-v1 example carries success "true").
  Scenario: A capture of a "capture failed" payment is notified as CAPTURE_FAILED
    Given I authorize 1000 EUR for card holder "capture failed"
    When I settle the payment
    Then the response field "status" is "received"
    And a CAPTURE_FAILED notification arrives with success "true"

  # Adyen's "Adjust authorisation": only a pre-authorisation can be adjusted; what it
  # answers for another is not published (the twin notifies a failure).
  @twin
  Scenario: Updating the amount of a payment that is no pre-authorisation fails
    Given I authorize 1000 EUR
    When I adjust the authorisation to 1500
    Then the response field "status" is "received"
    And a AUTHORISATION_ADJUSTMENT notification arrives with success "false"

  # Adyen documents that the currency must match the payment's, not when a mismatch is
  # refused: the twin acknowledges, then fails it (as on the classic API).
  @twin
  Scenario: A capture in another currency is received, then notified as failed
    Given I authorize 1000 EUR
    When I settle the payment with the field "amount.currency" set to "USD"
    Then the response field "status" is "received"
    And a CAPTURE notification arrives with success "false"
