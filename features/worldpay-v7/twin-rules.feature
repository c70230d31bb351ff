@worldpay-v7 @twin
Feature: Card Payments v7 rules as payconform's twin answers them
  Worldpay does not publish the error for a broken rule, and every link it documents
  is optional. These scenarios pin the twin's own choices: its rule-error names, the
  exact link sets it offers, the refusal code it gives plain REFUSED, and what it does
  with a link from an earlier response. They run only against a twin.

  Background:
    Given the worldpay-v7 API

  Scenario: An authorization offers every documented action the rules allow
    When I authorize 250 GBP
    Then the next actions are "cardPayments:cancel, cardPayments:partialCancel, cardPayments:settle, cardPayments:partialSettle, cardPayments:reverse"

  Scenario: Plain REFUSED gets refusal code 5 on the twin (Worldpay publishes none)
    When I authorize 100 GBP for card holder "REFUSED"
    Then the response field "refusalCode" is "5"
    And the next actions are "none"

  Scenario: A partial cancel offers no reversal (the vendor's partialCancel list has none)
    Given I authorize 500 GBP
    When I partially cancel 100
    Then the next actions are "cardPayments:cancel, cardPayments:partialCancel, cardPayments:settle, cardPayments:partialSettle"
    When I partially settle 401
    Then the status is 400
    And the error is "amountExceedsAuthorizedAmount"

  Scenario: After a partial settle: refund, partial refund, further settles, cancel, reverse
    Given I authorize 500 GBP
    When I partially settle 200
    Then the next actions are "cardPayments:cancel, cardPayments:partialSettle, cardPayments:refund, cardPayments:partialRefund, cardPayments:reverse"
    When I partially settle 300
    Then the next actions are "cardPayments:refund, cardPayments:partialRefund, cardPayments:reverse"
    When I partially settle 1 with an earlier link
    Then the status is 400
    And the error is "settlementNotAllowed"

  Scenario: After a partial refund only partial refunds are offered (seed 002, vendor list)
    Given I authorize 400 GBP
    And I partially settle 150
    When I partially refund 100
    Then the next actions are "cardPayments:partialRefund"
    When I partially refund 51
    Then the status is 400
    And the error is "amountExceedsSettledAmount"

  Scenario Outline: Cancel after a full settle is refused
    Given I authorize 500 GBP
    And I settle the payment
    When I <cancel> with an earlier link
    Then the status is 400
    And the error is "cancelNotAllowed"

    Examples:
      | cancel               |
      | cancel the payment   |
      | partially cancel 1   |

  Scenario: A cancelled payment cannot be settled
    Given I authorize 300 GBP
    And I cancel the payment
    Then the next actions are "none"
    When I settle the payment with an earlier link
    Then the status is 400
    And the error is "settlementNotAllowed"

  Scenario: A settled payment cannot be settled again
    Given I authorize 100 GBP
    And I settle the payment
    When I settle the payment with an earlier link
    Then the status is 400
    And the error is "settlementNotAllowed"

  Scenario: Refunds by partials up to the settled amount, then nothing
    Given I authorize 1706 GBP accepting a partial amount
    And I settle the payment
    Then the next actions are "cardPayments:refund, cardPayments:partialRefund, cardPayments:reverse"
    When I partially refund 123
    Then the next actions are "none"
    When I partially refund 1 with an earlier link
    Then the status is 400
    And the error is "refundNotAllowed"

  Scenario: ERROR is refused with the description ERROR (Worldpay publishes no HTTP effect)
    When I authorize 100 GBP for card holder "ERROR"
    Then the status is 201
    And the outcome is "refused"
    And the response field "refusalDescription" is "ERROR"
    And the response has no field "refusalCode"

  Scenario: A name the test table does not list is authorized
    When I authorize 100 GBP for card holder "REFUSED99"
    Then the outcome is "authorized"
