"""Certificates of completion: one per learner and scope (a part, or the whole course).

A certificate records what was completed when it was issued, so later edits to the course
do not change it. Its public id is random and unguessable: the verification page is the
only public view of a learner's data, and the learner can revoke it at any time.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

COURSE_SCOPE = "course"


def new_public_id() -> str:
    return secrets.token_urlsafe(18)


class CertificateQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)

    def for_user(self, user):
        return self.filter(user=user)


class Certificate(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="certificates")
    scope = models.CharField(max_length=60, help_text='"course", or "part-N" for part N.')
    public_id = models.CharField(max_length=40, unique=True, default=new_public_id, editable=False)
    name = models.CharField(max_length=120, help_text="The name the learner chose to print.")
    title = models.CharField(max_length=250, help_text="What was completed, as it was titled at issue.")
    items = models.JSONField(default=list, help_text="The lessons (or parts) completed, at issue.")
    issued_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = CertificateQuerySet.as_manager()

    class Meta:
        ordering = ["-issued_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "scope"], condition=Q(revoked_at__isnull=True), name="certificate_one_active_per_scope"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}: {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("lessons:certificate_detail", args=[self.public_id])

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
