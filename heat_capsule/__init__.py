"""heat-capsule: OS::Zun::Capsule for Heat and the capsule engine it drives."""
