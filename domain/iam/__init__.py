"""The IAM entities of an account: users, access keys, groups, managed and inline policies.

`domain.account` is the entry point (`decide`, `evolve`, `fold`, `AccountState`); the modules
here hold the rules, one concept each.
"""
