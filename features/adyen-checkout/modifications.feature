@adyen-checkout
Feature: Adyen Checkout API modifications
  Every modification names the payment in its path and answers 201 with status
  "received" and its own pspReference. That answer is never the outcome: the outcome
  arrives only in a standard notification, which @notifications scenarios wait for.

  Background:
    Given the adyen-checkout API
    And I authorize 1000 EUR

  Scenario: A full capture is received
    When I settle the payment
    Then the status is 201
    And the response field "status" is "received"
    And the response field "pspReference" has 16 characters
    And the response field "amount.value" is "1000"

  Scenario: Partial capture, refund and reversal are received
    When I partially settle 600
    Then the status is 201
    And the response field "status" is "received"
    When I partially refund 100
    Then the status is 201
    And the response field "status" is "received"
    When I reverse the payment
    Then the status is 201
    And the response field "status" is "received"

  Scenario: A cancel by pspReference is received
    When I cancel the payment
    Then the status is 201
    And the response field "status" is "received"

  Scenario: A cancel by your own reference is received
    When I technically cancel the payment
    Then the status is 201
    And the response field "status" is "received"

  Scenario: An amount update of a pre-authorisation is received
    Given I pre-authorise 1000 EUR
    When I adjust the authorisation to 1500
    Then the status is 201
    And the response field "status" is "received"
    And the response field "amount.value" is "1500"

  Scenario: A capture without an amount is rejected at once
    When I settle the payment without the field "amount"
    Then the status is 422
    And the error is "100"

  Scenario: A capture without a merchant account is rejected at once
    When I settle the payment without the field "merchantAccount"
    Then the status is 422
    And the error is "901"

  # Adyen's Checkout document names no error for an unknown paymentPspReference; the
  # twin answers as the classic API answers an unknown originalReference (422 167).
  @twin
  Scenario: A cancel of an unknown payment is rejected at once
    When I cancel the payment with the field "paymentPspReference" set to "PCUNKNOWNPAYMENT"
    Then the status is 422
    And the error is "167"

  @twin
  Scenario: The twin's totals after a capture and a refund
    When I partially settle 600
    And I partially refund 100
    Then the twin shows 600 captured, 100 refunded and 0 cancelled
    And the twin records the last capture as succeeded
