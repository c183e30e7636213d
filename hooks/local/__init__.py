"""Running it on this machine: private servers, the worker processes, a test receiver, and the demo.

Not part of the product: the demo, the tests and the benchmark use it to start what they need on 127.0.0.1,
each process by pid, and stop it by pid.
"""
