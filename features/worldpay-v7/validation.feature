@worldpay-v7
Feature: Card Payments v7 request validation, media types and authentication
  Bad requests get the documented error shapes.

  Background:
    Given the worldpay-v7 API

  Scenario Outline: A body that breaks the schema names every offending field
    When I authorize 100 GBP with the field "<field>" set to "<value>"
    Then the status is 400
    And the error is "bodyDoesNotMatchSchema"
    And the validation errors include "<error>" at "<path>"

    Examples:
      | field                                      | value                  | error                  | path                                           |
      | channel                                    | web                    | fieldHasInvalidValue   | $.channel                                      |
      | instruction.narrative.line1                | 1234567890123456789012345 | stringIsTooLong     | $.instruction.narrative.line1                  |
      | instruction.paymentInstrument.cardNumber   | 4444333322221112       | panFailedLuhnCheck     | $.instruction.paymentInstrument.cardNumber     |
      | instruction.value.amount                   | 100                    | fieldMustBeInteger     | $.instruction.value.amount                     |

  Scenario: A negative amount breaks the schema
    When I authorize 100 GBP with the field "instruction.value.amount" set to the JSON "-1"
    Then the status is 400
    And the error is "bodyDoesNotMatchSchema"

  Scenario: A missing field is named
    When I authorize 100 GBP without the field "instruction.narrative"
    Then the status is 400
    And the error is "bodyDoesNotMatchSchema"
    And the validation errors include "fieldIsMissing" at "$.instruction.narrative"

  Scenario: A body that is not JSON
    When I send the authorization body '{"transactionReference": '
    Then the status is 400
    And the error is "bodyIsNotJson"

  Scenario: An empty body
    When I send the authorization body ""
    Then the status is 400
    And the error is "bodyIsEmpty"

  Scenario: The wrong media type is refused with 415
    When I authorize 100 GBP with the Content-Type "application/json"
    Then the status is 415
    And the error is "headerHasInvalidValue"

  Scenario: No credentials
    When I authorize 100 GBP without credentials
    Then the status is 401
    And the error is "accessDenied"

  Scenario: Malformed credentials
    When I authorize 100 GBP with malformed credentials
    Then the status is 401
    And the error is "accessDenied"
