"""The login page's form: the credential check lives in `validate()`."""

from ...errors import Unauthorized
from ...forms import LoginForm
from ...services.accounts import authenticate


class PageLoginForm(LoginForm):
    """LoginForm that also checks the credentials (and the lockout) when validated."""

    user = None

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        try:
            self.user = authenticate(self.username.data, self.password.data)
        except Unauthorized as err:
            self.password.errors.append(err.message)
            return False
        return True
