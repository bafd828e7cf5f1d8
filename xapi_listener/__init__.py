"""The xAPI edge: the Statement API and document resources, credentials, storage, LRS pull and hand-off."""
