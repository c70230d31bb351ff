@adyen
Feature: Adyen modifications
  Modifications reference the pspReference and are acknowledged at once; their outcome
  arrives later, in a notification (@notifications scenarios wait for it; @twin ones
  read the twin's inspection endpoint for the totals).

  Background:
    Given the adyen API
    And I authorize 1000 EUR

  Scenario: Authorise then cancel gives [cancel-received]
    When I cancel the payment
    Then the status is 200
    And the response field "response" is "[cancel-received]"
    And the response field "pspReference" has 16 characters

  Scenario Outline: Cancel without a required field is rejected
    When I cancel the payment without the field "<field>"
    Then the status is 422
    And the error is "<code>"

    Examples:
      | field             | code |
      | originalReference | 167  |
      | merchantAccount   | 901  |

  Scenario: Cancel of an unknown payment is rejected at once
    When I cancel the payment with the field "originalReference" set to "8835511210681441"
    Then the status is 422
    And the error is "167"

  Scenario: Capture, partial capture, refund, cancelOrRefund and adjust are acknowledged
    When I partially settle 600
    Then the response field "response" is "[capture-received]"
    When I partially refund 100
    Then the response field "response" is "[refund-received]"
    When I reverse the payment
    Then the response field "response" is "[cancelOrRefund-received]"

  # Adyen's "Adjust authorisation" page: only a pre-authorisation can be adjusted.
  Scenario: Adjust the authorisation
    Given I pre-authorise 1000 EUR
    When I adjust the authorisation to 1500
    Then the status is 200
    And the response field "response" is "[adjustAuthorisation-received]"

  Scenario: Technical cancel by merchant reference
    When I technically cancel the payment
    Then the status is 200
    And the response field "response" is "[technical-cancel-received]"

  @twin
  Scenario: A capture is recorded as succeeded
    When I settle the payment
    Then the response field "response" is "[capture-received]"
    And the twin shows 1000 captured, 0 refunded and 0 cancelled
    And the twin records the last capture as succeeded

  # Adyen documents that a captured payment can no longer be cancelled.
  @notifications
  Scenario: Cancel after capture is acknowledged, then notified as failed
    Given I partially settle 600
    When I cancel the payment
    Then the status is 200
    And the response field "response" is "[cancel-received]"
    And a CANCELLATION notification arrives with success "false"

  @notifications
  Scenario: A refund beyond the capture is acknowledged, then notified as failed
    Given I partially settle 600
    When I partially refund 601
    Then the response field "response" is "[refund-received]"
    And a REFUND notification arrives with success "false"
    When I partially refund 600
    Then a REFUND notification arrives with success "true" and amount 600

  @twin
  Scenario: The twin's totals after a failed cancel and a failed refund
    Given I partially settle 600
    When I cancel the payment
    And I partially refund 601
    Then the twin records the last cancel as failed
    And the twin records the last refund as failed
    And the twin shows 600 captured, 0 refunded and 0 cancelled
