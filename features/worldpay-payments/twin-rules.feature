@worldpay-payments @twin
Feature: Payments API rules as payconform's twin answers them
  The vendor publishes neither its rule-error names nor which of the optional
  _actions a response carries; these scenarios pin the twin's own choices.

  Background:
    Given the worldpay-payments API

  Scenario: Each response offers every documented action the rules allow
    When I authorize 1000 GBP
    Then the next actions are "cancelPayment, settlePayment, partiallySettlePayment, reversePayment"
    When I partially settle 600
    Then the next actions are "refundPayment, partiallyRefundPayment, partiallySettlePayment, cancelPayment, reversePayment"
    When I partially settle 400
    Then the next actions are "refundPayment, partiallyRefundPayment, reversePayment"
    When I partially refund 10
    Then the next actions are "partiallyRefundPayment"
    When I partially refund 991
    Then the status is 400
    And the error is "amountExceedsSettledAmount"

  Scenario: Settle beyond the authorization
    Given I authorize 1000 GBP
    And I partially settle 600
    When I partially settle 401
    Then the status is 400
    And the error is "amountExceedsAuthorizedAmount"

  Scenario: Cancel after a full settle is refused
    Given I authorize 500 GBP
    And I settle the payment
    When I cancel the payment with an earlier link
    Then the status is 400
    And the error is "cancelNotAllowed"

  Scenario: Refund, cancel and reversal responses offer nothing more
    Given I authorize 700 GBP
    And I settle the payment
    When I refund the payment
    Then the next actions are "none"
