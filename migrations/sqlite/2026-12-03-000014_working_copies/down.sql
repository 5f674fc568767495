DROP TABLE working_copies;
