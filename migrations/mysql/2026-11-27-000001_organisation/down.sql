DROP TABLE units;
DROP TABLE departments;
