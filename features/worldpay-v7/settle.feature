@worldpay-v7
Feature: Card Payments v7 settlement
  Full and partial settlement follow the links of the latest response; the settled total
  never exceeds what was authorized. (Rule errors' names and exact link sets are the
  twin's: see twin-rules.feature.)
  Settling or refunding more than is left is refused at once or, as a 202 ("received,
  not processed") whose event then fails: no Worldpay page documents which.

  Background:
    Given the worldpay-v7 API

  Scenario: A full settle after a partial authorization settles totalAuthorized
    Given I authorize 1706 GBP accepting a partial amount
    When I settle the payment
    Then the status is 202
    And the next actions include "cardPayments:partialRefund"
    And the last event is "Sent for Settlement"
    When I partially refund 124
    Then it is refused, at once or in its event
    When I partially refund 123
    Then the status is 202

  Scenario: Several partial settles up to the authorized amount
    Given I authorize 500 GBP
    When I partially settle 200
    Then the status is 202
    And the next actions include "cardPayments:partialSettle, cardPayments:partialRefund"
    When I partially settle 300
    Then the status is 202

  Scenario Outline: A partial settle beyond what remains is refused
    Given I authorize 500 GBP
    And I partially settle <first>
    When I partially settle <second>
    Then it is refused, at once or in its event

    Examples:
      | first | second |
      | 100   | 401    |
      | 499   | 2      |

  Scenario: A settled payment offers no second settle
    Given I authorize 100 GBP
    When I settle the payment
    Then the next actions do not include "cardPayments:settle, cardPayments:partialSettle"
