@adyen
Feature: Adyen classic Payment API v40 authorisation
  /authorise with the test card; card.holderName drives the result.

  Background:
    Given the adyen API

  Scenario: An approved authorisation has a 16-character pspReference
    When I authorize 1000 EUR
    Then the status is 200
    And the outcome is "Authorised"
    And the response field "pspReference" has 16 characters

  Scenario Outline: Holder names drive the result code
    When I authorize 1000 EUR for card holder "<holder>"
    Then the status is 200
    And the outcome is "<result>"

    Examples:
      | holder             | result     |
      | APPROVED           | Authorised |
      | DECLINED           | Refused    |
      | CARD_EXPIRED       | Refused    |
      | NOT_ENOUGH_BALANCE | Refused    |
      | ERROR              | Error      |
      | PENDING            | Received   |

  Scenario: A missing required field is named (130)
    When I authorize 1000 EUR without the field "reference"
    Then the status is 422
    And the error is "130"
    And the error message is "Required field 'reference' is not provided."

  Scenario: A card number that fails the Luhn check is a 101
    When I authorize 1000 EUR with the field "card.number" set to "4111111111111112"
    Then the status is 422
    And the error is "101"

  Scenario: Malformed JSON is a 702
    When I send the authorization body '{"merchantAccount": '
    Then the status is 400
    And the error is "702"

  Scenario: No credentials
    When I authorize 1000 EUR without credentials
    Then the status is 401
    And the error is "000"

  Scenario: Malformed credentials
    When I authorize 1000 EUR with malformed credentials
    Then the status is 401
