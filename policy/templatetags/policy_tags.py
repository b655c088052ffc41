from django import template

from policy.markdown import render_markdown

register = template.Library()


@register.filter
def markdown(text: str):
    """A policy's Markdown as sanitised HTML (see policy.markdown)."""
    return render_markdown(text)
