"""First-boot provisioning of a Dangan box (issue 7): hostname, time zone, administrators, TLS, backups, twin."""
