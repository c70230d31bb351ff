@worldpay-v7
Feature: Card Payments v7 settlement
  Full and partial settlement follow the links of the authorization; the settled total
  never exceeds what was authorized.

  Background:
    Given the worldpay-v7 API

  Scenario: A full settle after a partial authorization settles totalAuthorized
    Given I authorize 1706 GBP accepting a partial amount
    When I settle the payment
    Then the status is 202
    And the next actions are "cardPayments:refund, cardPayments:partialRefund, cardPayments:reverse"
    And the last event is "Sent for Settlement"
    When I partially refund 123
    Then the status is 202
    When I partially refund 1
    Then the status is 400
    And the error is "refundNotAllowed"

  Scenario: Several partial settles up to the authorized amount
    Given I authorize 500 GBP
    When I partially settle 200
    Then the status is 202
    And the next actions are "cardPayments:partialSettle, cardPayments:refund, cardPayments:partialRefund, cardPayments:reverse"
    When I partially settle 300
    Then the status is 202
    And the next actions are "cardPayments:refund, cardPayments:partialRefund, cardPayments:reverse"
    When I partially settle 1
    Then the status is 400
    And the error is "settlementNotAllowed"

  Scenario Outline: A partial settle beyond what remains is refused
    Given I authorize 500 GBP
    And I partially settle <first>
    When I partially settle <second>
    Then the status is 400
    And the error is "amountExceedsAuthorizedAmount"

    Examples:
      | first | second |
      | 100   | 401    |
      | 499   | 2      |

  Scenario: A settled payment cannot be settled again
    Given I authorize 100 GBP
    And I settle the payment
    When I settle the payment
    Then the status is 400
    And the error is "settlementNotAllowed"
