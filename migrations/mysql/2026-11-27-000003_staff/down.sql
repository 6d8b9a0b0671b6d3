DROP TABLE unit_heads;
DROP TABLE department_heads;
DROP TABLE staff_works_in;
DROP TABLE staff;
