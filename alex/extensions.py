"""Flask extensions, created unbound here and bound to the app in create_app."""

from flask_babel import Babel
from flask_compress import Compress
from flask_htmx import HTMX
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_sqlalchemy_lite import SQLAlchemy
from flask_wtf import CSRFProtect

db = SQLAlchemy()
csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()
htmx = HTMX()
# No default limits: only the routes that need one (login, register) carry a decorator.
limiter = Limiter(key_func=get_remote_address, default_limits=[])
# Pages and JSON, Brotli or gzip (alex.config sets what pays); static files come precompressed.
compress = Compress()
