"""/api/policies/: the documents, each one's current version, and acknowledging it."""
from datetime import datetime

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from . import selectors, services
from .markdown import render_markdown
from .models import Acknowledgement, PolicyDocument, PolicyVersion


class PolicyVersionSerializer(serializers.ModelSerializer):
    document = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    body_html = serializers.SerializerMethodField(help_text="The body rendered to sanitised HTML.")

    class Meta:
        model = PolicyVersion
        fields = ["document", "number", "effective_from", "review_due", "change_type", "approved_by",
                  "committee_reference", "summary_of_changes", "body", "body_html"]

    def get_body_html(self, version) -> str:
        return str(render_markdown(version.body))


class PolicySerializer(serializers.ModelSerializer):
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True)
    kind = serializers.CharField(read_only=True, help_text="One of: " + ", ".join(PolicyDocument.Kind.values) + ".")
    current_version = serializers.SerializerMethodField()
    must_acknowledge = serializers.SerializerMethodField(help_text="The caller must acknowledge the current version.")
    acknowledged_at = serializers.SerializerMethodField(help_text="When the caller acknowledged the current version.")

    class Meta:
        model = PolicyDocument
        fields = ["slug", "title", "audience", "kind", "summary", "owner", "requires_acknowledgement",
                  "current_version", "must_acknowledge", "acknowledged_at"]

    def _current(self, document):
        return self.context["current"].get(document.pk)

    def get_current_version(self, document) -> dict | None:
        version = self._current(document)
        return {"number": version.number, "effective_from": version.effective_from,
                "review_due": version.review_due} if version else None

    def get_must_acknowledge(self, document) -> bool:
        version = self._current(document)
        return bool(version and version.pk in self.context["pending"])

    def get_acknowledged_at(self, document) -> datetime | None:
        version = self._current(document)
        return self.context["acknowledged"].get(version.pk) if version else None


class AcknowledgeInputSerializer(serializers.Serializer):
    version = serializers.IntegerField(required=False, min_value=1,
                                       help_text="The version number read; the current one when left out.")


class AcknowledgementSerializer(serializers.ModelSerializer):
    document = serializers.CharField(source="version.document.slug", read_only=True)
    version = serializers.IntegerField(source="version.number", read_only=True)

    class Meta:
        model = Acknowledgement
        fields = ["document", "version", "at"]


class PolicyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Policy documents and guidance; whether the caller must still acknowledge each."""

    serializer_class = PolicySerializer
    lookup_field = "slug"
    queryset = PolicyDocument.objects.select_related("owner")

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if getattr(self, "swagger_fake_view", False):
            return context
        user = self.request.user
        current = {v.document_id: v for v in selectors.current_versions()}
        context["current"] = current
        context["pending"] = {v.pk for v in selectors.must_acknowledge(user)}
        context["acknowledged"] = dict(Acknowledgement.objects.filter(
            user=user, version__in=list(current.values())).values_list("version_id", "at"))
        return context

    @extend_schema(responses=PolicyVersionSerializer)
    @action(detail=True, methods=["get"])
    def current(self, request, slug=None):
        """The version in effect today, with its text."""
        version = selectors.current_version(self.get_object())
        if version is None:
            raise NotFound("This document has no version in effect yet.")
        return Response(PolicyVersionSerializer(version).data)

    @extend_schema(request=AcknowledgeInputSerializer, responses={201: AcknowledgementSerializer})
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, slug=None):
        """Acknowledge the current version (give its number to be sure it is the one you read)."""
        document = self.get_object()
        data = AcknowledgeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        current = selectors.current_version(document)
        if current is None:
            raise serializers.ValidationError({"detail": f"The {document.title} is not in effect yet."})
        number = data.validated_data.get("version", current.number)
        version = document.versions.filter(number=number).first()
        if version is None:
            raise serializers.ValidationError({"version": f"The {document.title} has no version {number}."})
        try:
            acknowledgement = services.policy_acknowledge(actor=request.user, version=version)
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"detail": " ".join(exc.messages)}) from None
        return Response(AcknowledgementSerializer(acknowledgement).data, status=status.HTTP_201_CREATED)
