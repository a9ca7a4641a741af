"""python manage.py seed_demo: demo learner, instructor and admin accounts for trying the site."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

DEMO_ACCOUNTS = [
    # username, password, role
    ("learner", "learner-demo-pass", "learner"),
    ("instructor", "instructor-demo-pass", "instructor"),
    ("admin", "admin-demo-pass", "admin"),
]


class Command(BaseCommand):
    help = "Create (or reset) the demo accounts. Refuses to run with DJANGO_DEBUG off unless --force."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Run even when DEBUG is off.")

    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "Refusing to create demo accounts with known passwords while DJANGO_DEBUG is off. "
                "Use --force if you really mean it."
            )
        User = get_user_model()
        instructors = Group.objects.get(name="Instructors")
        for username, password, role in DEMO_ACCOUNTS:
            user, _ = User.objects.get_or_create(username=username, defaults={"email": f"{username}@example.com"})
            user.set_password(password)
            user.is_staff = user.is_superuser = role == "admin"
            user.save()
            if role == "instructor":
                user.groups.add(instructors)
            self.stdout.write(f"  {role:<11} {username} / {password}")
        self.stdout.write(self.style.SUCCESS("Demo accounts ready."))
