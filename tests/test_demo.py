"""The demo is one explicit, ordered list of steps (``mixite.demo.DEMO_STEPS``)."""

from __future__ import annotations

from mixite import demo


def test_the_demo_steps_in_their_order() -> None:
    # The order a user's work follows: the territory, its store, then every analysis; the
    # allocation steps come last (the optimisation reuses nothing of the others, but it is the
    # longest and the frontier follows it).
    assert [step.run for step in demo.DEMO_STEPS] == [
        demo.step_generate,
        demo.step_import,
        demo.step_cotation,
        demo.step_diagnostic,
        demo.step_documents,
        demo.step_marges,
        demo.step_simulation,
        demo.step_optimisation,
        demo.step_projection,
    ]
    labels = [step.label for step in demo.DEMO_STEPS]
    assert len(set(labels)) == len(labels)


def test_no_step_is_registered_by_importing_the_cli() -> None:
    # Importing the command line changes nothing in the demo (no registration at import time).
    before = demo.DEMO_STEPS
    import mixite.cli  # noqa: F401

    assert demo.DEMO_STEPS is before
    assert isinstance(demo.DEMO_STEPS, tuple)
