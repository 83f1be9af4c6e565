"""tap-ats: hiring data from applicant-tracking systems, in one schema per entity."""
