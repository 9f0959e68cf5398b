"""What tests build on: accounts and clients, data builders, HTML helpers.

Data comes from the same builder as the demo (alex.demo.build); fixtures that hand it out live in
the conftest.py of the folder whose tests share them.
"""
