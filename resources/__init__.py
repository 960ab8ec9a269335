"""Heat plugin_dirs drop-in for OS::Zun::Capsule (see heat_capsule_capsule)."""
