@worldpay-payments
Feature: Payments API headers, validation and authentication

  Background:
    Given the worldpay-payments API

  Scenario: A missing WP-Api-Version header is refused with 406
    When I authorize 100 GBP without the "WP-Api-Version" header
    Then the status is 406
    And the error is "headerIsMissing"

  Scenario: A wrong WP-Api-Version is refused with 406
    When I authorize 100 GBP with the "WP-Api-Version" header set to "2023-01-01"
    Then the status is 406
    And the error is "headerHasInvalidValue"

  Scenario: The wrong media type is refused with 415
    When I authorize 100 GBP with the Content-Type "text/plain"
    Then the status is 415

  Scenario: A missing field is named
    When I authorize 100 GBP without the field "instruction.value.currency"
    Then the status is 400
    And the error is "bodyDoesNotMatchSchema"
    And the validation errors include "fieldIsMissing" at "$.instruction.value.currency"

  Scenario: No credentials
    When I authorize 100 GBP without credentials
    Then the status is 401
    And the error is "accessDenied"
