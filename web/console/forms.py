"""The console's forms: Flask-WTF for the CSRF token and the checks of shape; the services check the rest."""

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from appliance.domain.accounts import MAX_PASSWORD_LENGTH


class LoginForm(FlaskForm):
    username = StringField(validators=[DataRequired(), Length(max=64)])
    password = PasswordField(validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)])


class CodeForm(FlaskForm):
    code = StringField(validators=[DataRequired(), Length(min=6, max=8)])


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)])
    new_password = PasswordField(validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)])
    confirm_password = PasswordField(validators=[DataRequired(), EqualTo("new_password")])


class EmptyForm(FlaskForm):
    """A form with nothing but its CSRF token: sign-out, language, one-click actions."""
