"""What a course author writes once and the tools that turn it into student material: starters from the
solutions' markers (``starter``), the handout's material (``material``), the notebook (``notebook``), points
(``points``) and the submit script (``submit_script``, ``templates/``)."""
