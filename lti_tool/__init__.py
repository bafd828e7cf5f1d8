"""The LMS edge: LTI 1.3 registration, launches, keys, roster and grade services, and the pages."""
