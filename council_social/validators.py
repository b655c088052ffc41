"""One rule for the web addresses people type (a channel's address, a post's link and images):
http or https, a valid URL, and none of the characters RFC 3986 does not allow in a URI (quotes,
angle brackets, backticks, braces, pipes, backslashes, carets, spaces), which the schema's
`format: uri` promises and which have no business in an address shown on a page."""
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.deconstruct import deconstructible

NOT_IN_A_URI = set('"<>`{}|\\^')


@deconstructible
class WebAddressValidator:
    message = "Enter a web address starting https:// or http://, without quotes, angle brackets or spaces."

    def __call__(self, value):
        if not value:
            return
        if any(c in NOT_IN_A_URI or c.isspace() or ord(c) < 32 for c in str(value)):
            raise ValidationError(self.message, code="invalid_url")
        URLValidator(schemes=["http", "https"], message=self.message)(value)

    def __eq__(self, other):
        return isinstance(other, WebAddressValidator)


validate_web_address = WebAddressValidator()
