"""The fixed vocabulary of a sandbox world.

Names, titles, sources, reasons, the reference trees, the EEOC enums and the custom field
definitions. Nothing here is random; the world draws from it.
"""

from __future__ import annotations

STAGE_NAMES = ["Application Review", "Phone Screen", "Technical Interview", "Onsite", "Offer"]
JOB_TITLES = ["Backend Engineer", "Data Analyst", "Product Manager", "Recruiter", "Designer",
              "Sales Executive", "Support Specialist", "Data Engineer", "Account Manager"]
FIRST_NAMES = ["Ada", "Ben", "Chen", "Dara", "Eli", "Fatima", "Goran", "Hana", "Ivo", "Jun",
               "Kofi", "Lena", "Mo", "Nia", "Omar", "Pia", "Quinn", "Rui", "Sara", "Tom"]
LAST_NAMES = ["Okafor", "Schmidt", "Tanaka", "Silva", "Novak", "Khan", "Dubois", "Rossi",
              "Larsen", "Moreau", "Ivanova", "Garcia", "Nguyen", "Haddad", "Berg"]
SOURCES = ["LinkedIn", "Referral", "Careers page", "Agency", "Job board"]
REJECTION_REASONS = ["Not a fit", "Withdrew", "Position filled", "Lacks experience"]
LOCATIONS = ["Berlin", "Remote", "London", "New York", "Video call"]

#: (name, parent name, external id): a small tree, parents first.
DEPARTMENTS = [("Engineering", None, "DEP-100"), ("Sales", None, "DEP-200"),
               ("Operations", None, "DEP-300"), ("People", None, "DEP-400"),
               ("Backend", "Engineering", "DEP-110"), ("Data", "Engineering", "DEP-120"),
               ("Product & Design", "Engineering", "DEP-130"),
               ("Account Management", "Sales", "DEP-210"), ("Support", "Operations", "DEP-310")]
#: A job's department follows its title, so that the tree reads sensibly.
TITLE_DEPARTMENT = {"Backend Engineer": "Backend", "Data Analyst": "Data", "Data Engineer": "Data",
                    "Product Manager": "Product & Design", "Designer": "Product & Design",
                    "Recruiter": "People", "Sales Executive": "Sales",
                    "Account Manager": "Account Management", "Support Specialist": "Support"}
#: (name, parent name, location, external id); regions are parents without a location.
OFFICES = [("Europe", None, None, "OFF-EU"), ("North America", None, None, "OFF-NA"),
           ("Remote", None, "Remote", "OFF-RM"), ("Berlin", "Europe", "Berlin, Germany", "OFF-BER"),
           ("London", "Europe", "London, United Kingdom", "OFF-LON"),
           ("New York", "North America", "New York, NY, United States", "OFF-NYC")]
#: Every name of SOURCES with its type (Greenhouse ``type.name``: social_media, referrals,
#: company_marketing, agencies, third_party_boards).
SOURCE_TYPES = {"LinkedIn": "social media", "Referral": "referral",
                "Careers page": "company marketing", "Agency": "agency", "Job board": "job board"}
#: Every name of REJECTION_REASONS with its unified type (Greenhouse "We rejected them" /
#: "They rejected us").
REJECTION_TYPES = {"Not a fit": "we_rejected", "Withdrew": "candidate_withdrew",
                   "Position filled": "we_rejected", "Lacks experience": "we_rejected"}
#: Hiring-team roles and the share of jobs that have someone in each.
HIRING_ROLES = [("hiring_manager", 0.95), ("recruiter", 0.9), ("coordinator", 0.6),
                ("sourcer", 0.4)]
RECOMMENDATIONS = ["strong_yes", "yes", "no", "strong_no", "no_decision"]
RATINGS = ["strong_yes", "yes", "mixed", "no", "strong_no"]
ATTRIBUTES = ["Communication", "Problem solving", "Technical depth", "Ownership", "Collaboration",
              "Culture add"]
NOTES = ["Clear thinker, would hire.", "Struggled with the design question.",
         "Good examples of ownership; check references.", "Not enough depth for the level."]
#: EEOC answers as Merge spells its enums (RaceEnum, GenderEnum, VeteranStatusEnum,
#: DisabilityStatusEnum), each with the label a Greenhouse form shows (``EEOC_LABELS``).
RACES = ["AMERICAN_INDIAN_OR_ALASKAN_NATIVE", "ASIAN", "BLACK_OR_AFRICAN_AMERICAN",
         "HISPANIC_OR_LATINO", "WHITE", "NATIVE_HAWAIIAN_OR_OTHER_PACIFIC_ISLANDER",
         "TWO_OR_MORE_RACES", "DECLINE_TO_SELF_IDENTIFY"]
GENDERS = ["MALE", "FEMALE", "NON-BINARY", "DECLINE_TO_SELF_IDENTIFY"]
VETERAN_STATUSES = ["I_AM_NOT_A_PROTECTED_VETERAN",
                    "I_IDENTIFY_AS_ONE_OR_MORE_OF_THE_CLASSIFICATIONS_OF_A_PROTECTED_VETERAN",
                    "I_DONT_WISH_TO_ANSWER"]
DISABILITY_STATUSES = ["YES_I_HAVE_A_DISABILITY_OR_PREVIOUSLY_HAD_A_DISABILITY",
                       "NO_I_DONT_HAVE_A_DISABILITY", "I_DONT_WISH_TO_ANSWER"]
EEOC_LABELS = {
    "AMERICAN_INDIAN_OR_ALASKAN_NATIVE": "American Indian or Alaskan Native", "ASIAN": "Asian",
    "BLACK_OR_AFRICAN_AMERICAN": "Black or African American",
    "HISPANIC_OR_LATINO": "Hispanic or Latino", "WHITE": "White",
    "NATIVE_HAWAIIAN_OR_OTHER_PACIFIC_ISLANDER": "Native Hawaiian or Other Pacific Islander",
    "TWO_OR_MORE_RACES": "Two or More Races",
    "DECLINE_TO_SELF_IDENTIFY": "Decline To Self Identify",
    "MALE": "Male", "FEMALE": "Female", "NON-BINARY": "Non-binary",
    "I_AM_NOT_A_PROTECTED_VETERAN": "I am not a protected veteran",
    "I_IDENTIFY_AS_ONE_OR_MORE_OF_THE_CLASSIFICATIONS_OF_A_PROTECTED_VETERAN":
        "I identify as one or more of the classifications of protected veteran",
    "I_DONT_WISH_TO_ANSWER": "I don't wish to answer",
    "YES_I_HAVE_A_DISABILITY_OR_PREVIOUSLY_HAD_A_DISABILITY":
        "Yes, I have a disability (or previously had a disability)",
    "NO_I_DONT_HAVE_A_DISABILITY": "No, I don't have a disability",
}
#: (object type, key, name, field type, options, active), in definition id order.
CUSTOM_FIELDS = [
    ("application", "referral_bonus", "Referral bonus eligible", "boolean", [], True),
    ("application", "screening_score", "Screening score", "number", [], True),
    ("application", "work_authorization", "Work authorization", "single_select",
     ["Citizen", "Visa required", "Not sure"], True),
    ("candidate", "linkedin_handle", "LinkedIn handle", "short_text", [], True),
    ("candidate", "notice_period", "Notice period", "single_select",
     ["Immediate", "2 weeks", "1 month", "3 months"], True),
    ("candidate", "available_from", "Available from", "date", [], True),
    ("job", "cost_center", "Cost center", "short_text", [], True),
    ("job", "employment_type", "Employment type", "single_select",
     ["Full-time", "Part-time", "Contract"], True),
    ("job", "headcount", "Headcount", "number", [], True),
    ("job", "remote_ok", "Remote OK", "boolean", [], True),
    ("job", "legacy_band", "Legacy band", "short_text", [], False),
    ("offer", "salary", "Salary", "number", [], True),
    ("offer", "currency", "Currency", "single_select", ["EUR", "USD", "GBP"], True),
    ("offer", "start_confirmed", "Start date confirmed", "date", [], True),
]
