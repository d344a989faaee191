/* Scripts shared by the staff pages. (The picker of regions, organizations and members is
   heli/picker.js, loaded by the forms that use it.) */
