"""The API's route modules, one blueprint each."""
