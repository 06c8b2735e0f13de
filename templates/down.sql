-- Undoes migration {{version}} {{name}} (`pgfast schema down`), in one transaction.

