package io.quicxdp.datapath.architecture;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.members;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaCodeUnit;
import com.tngtech.archunit.core.domain.JavaField;
import com.tngtech.archunit.core.domain.JavaMember;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.domain.JavaType;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The rules docs/architecture.md draws for the datapath, checked on its compiled classes: no cycle between its
 * packages, the engine under {@code internal} never reaching up into the API, and no public signature of the
 * API naming an engine type.
 */
class DatapathArchitectureTests {

    private static final String ROOT = "io.quicxdp.datapath";

    /** The packages applications and transports use; everything else is under {@code internal}. */
    private static final String[] PUBLIC_PACKAGES = { ROOT, ROOT + ".config", ROOT + ".state", ROOT + ".failure",
        ROOT + ".driver", ROOT + ".sandbox" };

    private static final JavaClasses CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages(ROOT);

    @Test
    void packagesAreFreeOfCycles() {
        // one slice per package, the root package included
        slices().matching("io.quicxdp.(**)").should().beFreeOfCycles().check(CLASSES);
    }

    @Test
    void everyPackageOfTheDatapathIsImported() {
        // a rule over nothing would pass: make sure the importer saw the layers it checks
        Set<String> packages = CLASSES.stream().map(JavaClass::getPackageName).collect(Collectors.toSet());
        assertThat(packages).contains(PUBLIC_PACKAGES)
                .contains(ROOT + ".internal.queue", ROOT + ".internal.maps", ROOT + ".internal.linux");
    }

    @Test
    void theEngineNeverReachesUpIntoTheApi() {
        noClasses().that().resideInAPackage(ROOT + ".internal..")
                .should().dependOnClassesThat().resideInAnyPackage(ROOT, ROOT + ".driver..", ROOT + ".sandbox..")
                .check(CLASSES);
    }

    @Test
    void plainValuesDependOnNothingAboveThem() {
        noClasses().that().resideInAnyPackage(ROOT + ".config..", ROOT + ".state..")
                .should().dependOnClassesThat().resideInAnyPackage(ROOT, ROOT + ".driver..", ROOT + ".sandbox..",
                        ROOT + ".failure..", ROOT + ".internal..")
                .check(CLASSES);
    }

    @Test
    void noPublicSignatureOfTheApiNamesAnInternalType() {
        members().that().areDeclaredInClassesThat().resideInAnyPackage(PUBLIC_PACKAGES)
                .and().areDeclaredInClassesThat().arePublic()
                .and().arePublic().or().areProtected()
                .should(nameNoInternalType())
                .check(CLASSES);
    }

    @Test
    void noPublicTypeOfTheApiExtendsAnInternalType() {
        noClasses().that().resideInAnyPackage(PUBLIC_PACKAGES).and().arePublic()
                .should().beAssignableTo(resideInAPackage(ROOT + ".internal.."))
                .check(CLASSES);
    }

    private static ArchCondition<JavaMember> nameNoInternalType() {
        return new ArchCondition<>("name no type of " + ROOT + ".internal") {
            @Override
            public void check(JavaMember member, ConditionEvents events) {
                JavaClass owner = member.getOwner();
                if (!owner.getModifiers().contains(JavaModifier.PUBLIC)
                        || !List.of(PUBLIC_PACKAGES).contains(owner.getPackageName())) {
                    return;
                }
                List<JavaType> named = new ArrayList<>();
                if (member instanceof JavaField field) {
                    named.add(field.getType());
                }
                if (member instanceof JavaCodeUnit code) {
                    named.add(code.getReturnType());
                    named.addAll(code.getParameterTypes());
                    code.getThrowsClause().getTypes().forEach(named::add);
                }
                for (JavaType type : named) {
                    for (JavaClass raw : type.getAllInvolvedRawTypes()) {
                        if (raw.getPackageName().startsWith(ROOT + ".internal")) {
                            events.add(SimpleConditionEvent.violated(member, member.getFullName() + " names "
                                    + raw.getName()));
                        }
                    }
                }
            }
        };
    }
}
