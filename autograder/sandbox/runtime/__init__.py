"""The worker program and the modules it imports, copied into every sandbox and run there.

Standard library and NumPy only, relative imports only (``scratch.RUNTIME_FILES`` lists them). The grader imports
the codec modules too (both sides speak it); it never runs ``worker``, ``process_setup`` or ``seccomp`` itself."""
